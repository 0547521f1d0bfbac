namespace Handoff.Core.Dictionary;

// Placeholder until the converter branch lands; replaced by the real implementation.
public static class ValueConverter
{
    public static bool TryToCanonical(FieldDefinition field, FieldBinding? binding, string? raw, out string? canonical, out string? error)
    {
        canonical = string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
        error = null;
        return true;
    }
}
