using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Handoff.Data.Postgres.Migrations.Migrations
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
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    system_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    operation = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    mode = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    remaining = table.Column<int>(type: "integer", nullable: true),
                    until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    delay_ms = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandbox_faults", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sandbox_groups",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    system_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandbox_groups", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sandbox_objects",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    system_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    object_class = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    native_id = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    anchor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    unique_value = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    attributes_json = table.Column<string>(type: "text", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    expires = table.Column<DateOnly>(type: "date", nullable: true),
                    container = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    groups_json = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    idempotency_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandbox_objects", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sandbox_sequences",
                columns: table => new
                {
                    system_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    last = table.Column<long>(type: "bigint", nullable: false)
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
