using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Sqlite.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Reconciliation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "reconciliation_items",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    report_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    @class = table.Column<string>(name: "class", type: "TEXT", maxLength: 16, nullable: false),
                    native_id = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    person_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    username = table.Column<string>(type: "TEXT", nullable: true),
                    matched_by = table.Column<string>(type: "TEXT", nullable: true),
                    drift_json = table.Column<string>(type: "TEXT", nullable: false),
                    reason = table.Column<string>(type: "TEXT", nullable: true),
                    repair = table.Column<string>(type: "TEXT", nullable: true),
                    repair_error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_reconciliation_items", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "reconciliation_reports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    system = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    actor = table.Column<string>(type: "TEXT", nullable: false),
                    dry_run = table.Column<bool>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    accounts = table.Column<int>(type: "INTEGER", nullable: false),
                    in_sync = table.Column<int>(type: "INTEGER", nullable: false),
                    drifted = table.Column<int>(type: "INTEGER", nullable: false),
                    orphan = table.Column<int>(type: "INTEGER", nullable: false),
                    unmanaged = table.Column<int>(type: "INTEGER", nullable: false),
                    missing = table.Column<int>(type: "INTEGER", nullable: false),
                    repaired = table.Column<int>(type: "INTEGER", nullable: false),
                    held = table.Column<int>(type: "INTEGER", nullable: false),
                    repair_failed = table.Column<int>(type: "INTEGER", nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: true),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    finished_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_reconciliation_reports", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_reconciliation_items_report_id_class",
                table: "reconciliation_items",
                columns: new[] { "report_id", "class" });

            migrationBuilder.CreateIndex(
                name: "IX_reconciliation_reports_system_started_at",
                table: "reconciliation_reports",
                columns: new[] { "system", "started_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "reconciliation_items");

            migrationBuilder.DropTable(
                name: "reconciliation_reports");
        }
    }
}
