using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Postgres.Migrations.Migrations
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
                    group_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    system = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_scim_members", x => new { x.group_id, x.member_id });
                });

            migrationBuilder.CreateTable(
                name: "scim_resources",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    system = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    resource_type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    name = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    name_key = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    external_id = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    json = table.Column<string>(type: "text", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    sync_pending = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
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
