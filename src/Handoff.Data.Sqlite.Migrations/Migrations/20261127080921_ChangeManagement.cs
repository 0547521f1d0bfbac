using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Sqlite.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class ChangeManagement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "backlog_items",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    reads_json = table.Column<string>(type: "TEXT", nullable: false),
                    hr_value = table.Column<int>(type: "INTEGER", nullable: true),
                    hr_volume = table.Column<int>(type: "INTEGER", nullable: true),
                    hr_pain = table.Column<int>(type: "INTEGER", nullable: true),
                    hr_scored_by = table.Column<string>(type: "TEXT", nullable: true),
                    hr_scored_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    it_effort = table.Column<int>(type: "INTEGER", nullable: true),
                    it_risk = table.Column<int>(type: "INTEGER", nullable: true),
                    it_availability = table.Column<int>(type: "INTEGER", nullable: true),
                    it_scored_by = table.Column<string>(type: "TEXT", nullable: true),
                    it_scored_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_backlog_items", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "change_communications",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    workflow_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    audience = table.Column<string>(type: "TEXT", nullable: false),
                    message = table.Column<string>(type: "TEXT", nullable: false),
                    channel = table.Column<string>(type: "TEXT", nullable: false),
                    date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    owner = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    updated_by = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_change_communications", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "change_training",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    workflow_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    title = table.Column<string>(type: "TEXT", nullable: false),
                    markdown = table.Column<string>(type: "TEXT", nullable: false),
                    updated_by = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_change_training", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "feedback_reports",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    category = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    route = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    sla = table.Column<string>(type: "TEXT", nullable: false),
                    channel = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    person_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    run_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    field = table.Column<string>(type: "TEXT", nullable: true),
                    note = table.Column<string>(type: "TEXT", nullable: false),
                    reported_by = table.Column<string>(type: "TEXT", nullable: false),
                    reported_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    remind_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    deadline_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    reminded_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    breached_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    escalation_level = table.Column<int>(type: "INTEGER", nullable: false),
                    escalated_to = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    acknowledged_by = table.Column<string>(type: "TEXT", nullable: true),
                    acknowledged_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    resolved_by = table.Column<string>(type: "TEXT", nullable: true),
                    resolved_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    elapsed_seconds = table.Column<long>(type: "INTEGER", nullable: true),
                    within_sla = table.Column<bool>(type: "INTEGER", nullable: true),
                    review_item_id = table.Column<long>(type: "INTEGER", nullable: true),
                    external_key = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_feedback_reports", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "workflow_checkpoints",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    workflow_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    day = table.Column<int>(type: "INTEGER", nullable: false),
                    recorded_by = table.Column<string>(type: "TEXT", nullable: false),
                    recorded_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    note = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workflow_checkpoints", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "feedback_notes",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    report_id = table.Column<long>(type: "INTEGER", nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    actor = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", nullable: false),
                    text = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_feedback_notes", x => x.id);
                    table.ForeignKey(
                        name: "FK_feedback_notes_feedback_reports_report_id",
                        column: x => x.report_id,
                        principalTable: "feedback_reports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_change_communications_workflow_id",
                table: "change_communications",
                column: "workflow_id");

            migrationBuilder.CreateIndex(
                name: "IX_change_training_workflow_id_role",
                table: "change_training",
                columns: new[] { "workflow_id", "role" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_feedback_notes_report_id",
                table: "feedback_notes",
                column: "report_id");

            migrationBuilder.CreateIndex(
                name: "IX_feedback_reports_channel_external_key",
                table: "feedback_reports",
                columns: new[] { "channel", "external_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_feedback_reports_status_route",
                table: "feedback_reports",
                columns: new[] { "status", "route" });

            migrationBuilder.CreateIndex(
                name: "IX_workflow_checkpoints_workflow_id_day",
                table: "workflow_checkpoints",
                columns: new[] { "workflow_id", "day" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "backlog_items");

            migrationBuilder.DropTable(
                name: "change_communications");

            migrationBuilder.DropTable(
                name: "change_training");

            migrationBuilder.DropTable(
                name: "feedback_notes");

            migrationBuilder.DropTable(
                name: "workflow_checkpoints");

            migrationBuilder.DropTable(
                name: "feedback_reports");
        }
    }
}
