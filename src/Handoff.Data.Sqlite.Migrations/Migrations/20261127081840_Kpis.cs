using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Sqlite.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Kpis : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "kpi_snapshots",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    kpi = table.Column<string>(type: "TEXT", maxLength: 60, nullable: false),
                    scope = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    checkpoint = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    value = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: false),
                    note = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    computed_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    computed_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_kpi_snapshots", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_kpi_snapshots_kpi_scope_checkpoint",
                table: "kpi_snapshots",
                columns: new[] { "kpi", "scope", "checkpoint" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "kpi_snapshots");
        }
    }
}
