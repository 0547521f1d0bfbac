using Cronos;

namespace Handoff.Core.Workflows;

/// <summary>Cron schedules (five fields, or six with seconds) via Cronos, in UTC or a named zone.</summary>
public static class WorkflowSchedule
{
    public static bool TryParse(string text, out CronExpression? expression, out string? error)
    {
        expression = null;
        error = null;
        try
        {
            var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            expression = CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return true;
        }
        catch (CronFormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Occurrences after <paramref name="from"/> up to and including <paramref name="to"/>.</summary>
    public static IEnumerable<DateTimeOffset> Occurrences(string cron, string? zone, DateTimeOffset from, DateTimeOffset to)
    {
        if (!TryParse(cron, out var expression, out _))
            return [];
        return expression!.GetOccurrences(from, to, WorkflowTime.Zone(zone), fromInclusive: false, toInclusive: true);
    }
}
