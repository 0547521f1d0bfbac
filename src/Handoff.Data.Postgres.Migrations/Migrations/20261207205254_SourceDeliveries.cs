using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Handoff.Data.Postgres.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class SourceDeliveries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "order_json",
                table: "source_records",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "delivery_id",
                table: "quarantine",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "order",
                table: "pending_changes",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "delivered_rows",
                columns: table => new
                {
                    system = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    file = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    native_key = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    hash = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_delivered_rows", x => new { x.system, x.file, x.native_key });
                });

            migrationBuilder.CreateTable(
                name: "deliveries",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    system = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    content_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    as_of = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    columns_json = table.Column<string>(type: "text", nullable: false),
                    report_json = table.Column<string>(type: "text", nullable: true),
                    reason = table.Column<string>(type: "text", nullable: true),
                    sync_id = table.Column<long>(type: "bigint", nullable: true),
                    decided_by = table.Column<string>(type: "text", nullable: true),
                    decided_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_deliveries", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_status",
                table: "deliveries",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_system_name_content_hash",
                table: "deliveries",
                columns: new[] { "system", "name", "content_hash" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "delivered_rows");

            migrationBuilder.DropTable(
                name: "deliveries");

            migrationBuilder.DropColumn(
                name: "order_json",
                table: "source_records");

            migrationBuilder.DropColumn(
                name: "delivery_id",
                table: "quarantine");

            migrationBuilder.DropColumn(
                name: "order",
                table: "pending_changes");
        }
    }
}
