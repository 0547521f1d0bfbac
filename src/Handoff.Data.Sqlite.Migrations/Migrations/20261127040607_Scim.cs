using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Sqlite.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Scim : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "scim_members",
                columns: table => new
                {
                    group_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    member_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    system = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_scim_members", x => new { x.group_id, x.member_id });
                });

            migrationBuilder.CreateTable(
                name: "scim_resources",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    system = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    resource_type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    name_key = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    external_id = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    json = table.Column<string>(type: "TEXT", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false),
                    sync_pending = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    deleted_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_scim_resources", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_scim_members_member_id",
                table: "scim_members",
                column: "member_id");

            migrationBuilder.CreateIndex(
                name: "IX_scim_resources_system_resource_type_external_id",
                table: "scim_resources",
                columns: new[] { "system", "resource_type", "external_id" });

            migrationBuilder.CreateIndex(
                name: "IX_scim_resources_system_resource_type_name_key",
                table: "scim_resources",
                columns: new[] { "system", "resource_type", "name_key" },
                unique: true,
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_scim_resources_system_sync_pending",
                table: "scim_resources",
                columns: new[] { "system", "sync_pending" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "scim_members");

            migrationBuilder.DropTable(
                name: "scim_resources");
        }
    }
}
