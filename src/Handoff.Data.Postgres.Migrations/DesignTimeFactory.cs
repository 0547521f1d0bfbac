using Microsoft.EntityFrameworkCore.Design;

namespace Handoff.Data.Postgres.Migrations;

/// <summary>Lets `dotnet ef migrations add` build the model for this provider; no database is opened.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<HandoffDbContext>
{
    public HandoffDbContext CreateDbContext(string[] args) => new DatabaseOptions(DatabaseProvider.Postgres, "Host=127.0.0.1;Database=design_time;Username=postgres").CreateContext();
}
