using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Handoff.Data.Postgres.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class MonthlyReviews : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "monthly_reviews",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    month = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    generated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    generated_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    html = table.Column<string>(type: "text", nullable: false),
                    html_sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    pdf = table.Column<byte[]>(type: "bytea", nullable: false),
                    pdf_sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_monthly_reviews", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_monthly_reviews_month_version",
                table: "monthly_reviews",
                columns: new[] { "month", "version" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "monthly_reviews");
        }
    }
}
