using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Sqlite.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Sandbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "sandbox_faults",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    system_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    operation = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    mode = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    remaining = table.Column<int>(type: "INTEGER", nullable: true),
                    until = table.Column<DateTime>(type: "TEXT", nullable: true),
                    delay_ms = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandbox_faults", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sandbox_groups",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    system_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandbox_groups", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sandbox_objects",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    system_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    object_class = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    native_id = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    anchor = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    unique_value = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    attributes_json = table.Column<string>(type: "TEXT", nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    expires = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    container = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    groups_json = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    idempotency_key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandbox_objects", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sandbox_sequences",
                columns: table => new
                {
                    system_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    last = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandbox_sequences", x => new { x.system_id, x.name });
                });

            migrationBuilder.CreateIndex(
                name: "IX_sandbox_faults_system_id",
                table: "sandbox_faults",
                column: "system_id");

            migrationBuilder.CreateIndex(
                name: "IX_sandbox_groups_system_id_name",
                table: "sandbox_groups",
                columns: new[] { "system_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_sandbox_objects_system_id_idempotency_key",
                table: "sandbox_objects",
                columns: new[] { "system_id", "idempotency_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_sandbox_objects_system_id_native_id",
                table: "sandbox_objects",
                columns: new[] { "system_id", "native_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_sandbox_objects_system_id_object_class_anchor",
                table: "sandbox_objects",
                columns: new[] { "system_id", "object_class", "anchor" });

            migrationBuilder.CreateIndex(
                name: "IX_sandbox_objects_system_id_object_class_id",
                table: "sandbox_objects",
                columns: new[] { "system_id", "object_class", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_sandbox_objects_system_id_object_class_unique_value",
                table: "sandbox_objects",
                columns: new[] { "system_id", "object_class", "unique_value" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sandbox_faults");

            migrationBuilder.DropTable(
                name: "sandbox_groups");

            migrationBuilder.DropTable(
                name: "sandbox_objects");

            migrationBuilder.DropTable(
                name: "sandbox_sequences");
        }
    }
}
