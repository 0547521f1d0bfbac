using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Handoff.Data;
using Handoff.Data.Reconciliation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class ReconcileSettings : HandoffSettings
{
    [CommandArgument(0, "[SYSTEM]")]
    [Description("The target system to reconcile (a directory or app of the workspace).")]
    public string? System { get; init; }

    [CommandOption("--dry-run")]
    [Description("Classify and report, but write nothing to the target (no repairs, no links).")]
    public bool DryRun { get; init; }

    [CommandOption("--json")]
    [Description("Print the report as JSON (counts and items) instead of tables.")]
    public bool Json { get; init; }

    [CommandOption("--list")]
    [Description("List past reconciliation reports (of SYSTEM, if given) instead of reconciling.")]
    public bool List { get; init; }

    [CommandOption("--show <REPORT>")]
    [Description("Print a past report by id (or a unique id prefix) instead of reconciling.")]
    public string? Show { get; init; }

    [CommandOption("--actor <MEMBER>")]
    [Description("Who asks (recorded in the report and the audit log). Default: $USER.")]
    public string? Actor { get; init; }

    public override ValidationResult Validate()
    {
        var baseResult = base.Validate();
        if (!baseResult.Successful)
            return baseResult;
        if (!List && Show is null && System is null)
            return ValidationResult.Error("name the target system to reconcile (handoff reconcile SYSTEM), or use --list / --show REPORT");
        return ValidationResult.Success();
    }
}

/// <summary><c>handoff reconcile SYSTEM [--dry-run] [--json]</c>: reads every account of a target,
/// classifies it (in sync, drifted, orphan, unmanaged, missing), repairs <c>enforce</c> drift and prints
/// the report. Exit code 0 whatever was found: the findings are the output, not an error.</summary>
public sealed class ReconcileCommand : HandoffCommand<ReconcileSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ReconcileSettings settings, CancellationToken ct)
    {
        var reconciler = runtime.NewReconciler();
        try
        {
            if (settings.List)
            {
                var reports = await reconciler.ListAsync(settings.System, 50, ct);
                if (settings.Json)
                {
                    WriteJson(reports.Select(Summary));
                    return 0;
                }
                var table = new Table().AddColumns("report", "system", "started", "by", "accounts", "in_sync", "drifted", "orphan", "unmanaged", "missing", "repaired", "held");
                foreach (var r in reports)
                {
                    table.AddRow(r.Id.ToString("N")[..12], Markup.Escape(r.System), r.StartedAt.ToString("u", CultureInfo.InvariantCulture),
                        Markup.Escape(r.Actor) + (r.DryRun ? " (dry run)" : ""), N(r.Accounts), N(r.InSync), N(r.Drifted), N(r.Orphan), N(r.Unmanaged), N(r.Missing), N(r.Repaired), N(r.Held));
                }
                Console.Write(table);
                return 0;
            }
            var detail = settings.Show is { } id
                ? await reconciler.GetAsync(id, ct)
                : await reconciler.RunAsync(settings.System!, settings.DryRun, "user:" + (settings.Actor ?? Environment.UserName), ct);
            if (settings.Json)
                WriteJson(Full(detail));
            else
                Print(detail);
            return 0;
        }
        catch (ReconcileException e)
        {
            throw new HandoffCliException(e.Message);
        }
    }

    private void Print(ReconciliationDetail detail)
    {
        var r = detail.Report;
        Console.MarkupLineInterpolated($"reconciliation [bold]{r.Id:N}[/] of [bold]{r.System}[/]{(r.DryRun ? " (dry run: nothing written to the target)" : "")}: {r.Accounts} account(s) read in {(r.FinishedAt - r.StartedAt).TotalSeconds:0.0} s");
        if (r.Error is not null)
            Console.MarkupLineInterpolated($"[red]failed:[/] {r.Error}");
        var counts = new Table().AddColumns("in_sync", "drifted", "orphan", "unmanaged", "missing", r.DryRun ? "would repair" : "repaired", "held", "repair failed");
        counts.AddRow(N(r.InSync), N(r.Drifted), N(r.Orphan), N(r.Unmanaged), N(r.Missing),
            N(r.DryRun ? detail.Items.Count(i => i.Repair == RepairStatus.WouldRepair) : r.Repaired), N(r.Held), N(r.RepairFailed));
        Console.Write(counts);
        if (detail.Items.Count == 0)
            return;
        var items = new Table().AddColumns("class", "account", "person", "matched by", "fields / reason", "repair");
        foreach (var i in detail.Items.OrderBy(i => i.Class, StringComparer.Ordinal).ThenBy(i => i.NativeId, StringComparer.Ordinal))
        {
            var drift = JsonDefaults.Deserialize<List<DriftView>>(i.DriftJson);
            var what = drift.Count > 0
                ? string.Join("; ", drift.Select(d => $"{d.Field} ({d.Native}, {d.Strength}): \"{d.Actual}\" → \"{d.Expected}\""))
                : i.Reason ?? "";
            items.AddRow(i.Class, Markup.Escape(i.NativeId ?? ""), i.PersonId?.ToString() ?? "", i.MatchedBy ?? "", Markup.Escape(what),
                Markup.Escape(i.Repair is null ? "" : i.RepairError is { } e ? $"{i.Repair}: {e}" : i.Repair));
        }
        Console.Write(items);
    }

    private sealed record DriftView(string Field, string Native, string? Expected, string? Actual, string Strength);

    private static object Summary(ReconciliationReportRow r) => new
    {
        id = r.Id.ToString("N"),
        system = r.System,
        actor = r.Actor,
        dry_run = r.DryRun,
        status = r.Status,
        error = r.Error,
        started_at = r.StartedAt,
        finished_at = r.FinishedAt,
        accounts = r.Accounts,
        counts = new { in_sync = r.InSync, drifted = r.Drifted, orphan = r.Orphan, unmanaged = r.Unmanaged, missing = r.Missing },
        repaired = r.Repaired,
        held = r.Held,
        repair_failed = r.RepairFailed,
    };

    private static object Full(ReconciliationDetail d) => new
    {
        report = Summary(d.Report),
        items = d.Items.Select(i => new
        {
            @class = i.Class,
            native_id = i.NativeId,
            person_id = i.PersonId,
            username = i.Username,
            matched_by = i.MatchedBy,
            fields = JsonDocument.Parse(i.DriftJson).RootElement,
            reason = i.Reason,
            repair = i.Repair,
            repair_error = i.RepairError,
        }),
    };

    /// <summary>Straight to the output, not through the console's line wrapping.</summary>
    private void WriteJson(object value) =>
        Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions(JsonDefaults.Options) { WriteIndented = true }));

    private static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
