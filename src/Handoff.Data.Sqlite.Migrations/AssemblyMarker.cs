namespace Handoff.Data.Sqlite.Migrations;
internal static class AssemblyMarker;
