using Microsoft.EntityFrameworkCore.Design;

namespace Handoff.Data.Sqlite.Migrations;

/// <summary>Lets `dotnet ef migrations add` build the model for this provider; no database is opened.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<HandoffDbContext>
{
    public HandoffDbContext CreateDbContext(string[] args) => DatabaseOptions.ForSqliteFile("design-time.db").CreateContext();
}
