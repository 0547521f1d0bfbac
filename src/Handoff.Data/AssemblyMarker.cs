namespace Handoff.Data;
internal static class AssemblyMarker;
