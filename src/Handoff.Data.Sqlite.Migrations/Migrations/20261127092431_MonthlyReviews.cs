using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Handoff.Data.Sqlite.Migrations.Migrations
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
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    month = table.Column<string>(type: "TEXT", maxLength: 7, nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    generated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    generated_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    html = table.Column<string>(type: "TEXT", nullable: false),
                    html_sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    pdf = table.Column<byte[]>(type: "BLOB", nullable: false),
                    pdf_sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
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
