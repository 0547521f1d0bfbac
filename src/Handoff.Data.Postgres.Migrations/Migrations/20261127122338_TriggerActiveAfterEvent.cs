using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Postgres.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class TriggerActiveAfterEvent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "active_after_event_id",
                table: "trigger_states",
                type: "bigint",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "active_after_event_id",
                table: "trigger_states");
        }
    }
}
