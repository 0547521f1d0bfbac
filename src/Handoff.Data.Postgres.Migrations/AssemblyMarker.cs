namespace Handoff.Data.Postgres.Migrations;
internal static class AssemblyMarker;
