namespace Handoff.Connectors;
internal static class AssemblyMarker;
