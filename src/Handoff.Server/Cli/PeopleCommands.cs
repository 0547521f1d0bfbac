using System.ComponentModel;
using Handoff.Core.People;
using Handoff.Data;
using Handoff.Data.People;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Handoff.Server.Cli;

public sealed class PeopleListSettings : HandoffSettings
{
    [CommandOption("--state <STATE>")]
    [Description("candidate, pre_hire, active, on_leave, terminated, purged")]
    public string? State { get; init; }

    [CommandOption("--search <TEXT>")]
    public string? Search { get; init; }

    [CommandOption("--limit <N>")]
    public int Limit { get; init; } = 50;
}

public sealed class PeopleListCommand : HandoffCommand<PeopleListSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, PeopleListSettings settings, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var query = db.People.AsNoTracking();
        if (settings.State is not null)
            query = query.Where(p => p.State == settings.State);
        if (settings.Search is not null)
            query = query.Where(p => p.DisplayName.ToLower().Contains(settings.Search.ToLower()));
        var total = await query.CountAsync(ct);
        var people = await query.OrderBy(p => p.DisplayName).Take(settings.Limit).ToListAsync(ct);
        var table = new Table().AddColumns("id", "name", "state", "employee id", "start date");
        foreach (var p in people)
        {
            var values = JsonDefaults.Deserialize<Dictionary<string, ResolvedValue>>(p.ValuesJson);
            table.AddRow(p.Id.ToString(), Markup.Escape(p.DisplayName), p.State,
                Markup.Escape(values.GetValueOrDefault("employee_id")?.Value ?? ""), values.GetValueOrDefault("start_date")?.Value ?? "");
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{people.Count} of {total}");
        return 0;
    }
}

public sealed class PersonSettings : HandoffSettings
{
    [CommandArgument(0, "<PERSON>")]
    [Description("Person id (or its last 12 characters), employee id, candidate id or work email.")]
    public string Person { get; init; } = "";
}

public sealed class PeopleShowCommand : HandoffCommand<PersonSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, PersonSettings settings, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        await using var db = runtime.Database.CreateContext();
        var person = await PersonLookup.FindAsync(db, settings.Person, ct);
        var values = JsonDefaults.Deserialize<Dictionary<string, ResolvedValue>>(person.ValuesJson);

        Console.MarkupLineInterpolated($"[bold]{person.DisplayName}[/]  {person.Id}  state [bold]{person.State}[/]{(person.ReviewOn is { } r ? $" (next date to check: {r:yyyy-MM-dd})" : "")}");
        var table = new Table().AddColumns("field", "value", "source", "native key", "observed", "effective");
        foreach (var field in workspace.Definition.Dictionary.Fields)
        {
            if (!values.TryGetValue(field.Name, out var v))
                continue;
            var shown = field.Classification == Core.Dictionary.Classification.Sensitive ? "•••• (sensitive)" : v.Value;
            table.AddRow(Markup.Escape(field.Name), Markup.Escape(shown), v.System, Markup.Escape(v.NativeKey), v.ObservedAt.ToString("u"), v.EffectiveFrom?.ToString("yyyy-MM-dd") ?? "");
        }
        Console.Write(table);

        var sources = await db.SourceRecords.AsNoTracking().Where(s => s.PersonId == person.Id).OrderBy(s => s.System).ToListAsync(ct);
        Console.MarkupLine("[bold]source records[/]");
        foreach (var s in sources)
            Console.MarkupLineInterpolated($"  {s.System}:{s.NativeKey} from {s.Location}, observed {s.ObservedAt:u}{(s.EffectiveFrom is { } e ? $", effective {e:yyyy-MM-dd}" : "")}");
        var keys = sources.Select(s => s.NativeKey).ToList();
        var pending = await db.PendingChanges.AsNoTracking().Where(p => p.AppliedAt == null && keys.Contains(p.NativeKey)).ToListAsync(ct);
        foreach (var p in pending.Where(p => sources.Any(s => s.System == p.System && s.NativeKey == p.NativeKey)))
            Console.MarkupLineInterpolated($"  [yellow]future-dated[/] {p.System}:{p.NativeKey} effective {p.EffectiveFrom:yyyy-MM-dd} (from {p.Location})");

        var findings = await db.Findings.AsNoTracking().Where(f => f.PersonId == person.Id && f.Status == "open").ToListAsync(ct);
        if (findings.Count > 0)
        {
            Console.MarkupLine("[bold]findings[/]");
            foreach (var f in findings)
                Console.MarkupLineInterpolated($"  {f.Field}: sources disagree {f.DetailJson}; {f.ChosenSystem} wins by the dictionary's rule");
        }

        var events = await db.OutboxEvents.AsNoTracking().Where(e => e.PersonId == person.Id).OrderBy(e => e.Id).ToListAsync(ct);
        Console.MarkupLine("[bold]timeline[/]");
        foreach (var e in events)
            Console.MarkupLineInterpolated($"  {e.OccurredAt:u}  {e.Type}  {e.PayloadJson}");
        return 0;
    }
}

/// <summary>The CLI face of <see cref="PeopleDirectory.FindAsync"/>: no match is a one-line error.</summary>
public static class PersonLookup
{
    public static async Task<PersonRow> FindAsync(HandoffDbContext db, string reference, CancellationToken ct)
    {
        try
        {
            return await PeopleDirectory.FindAsync(db, reference, ct);
        }
        catch (PersonNotFoundException e)
        {
            throw new HandoffCliException(e.Message);
        }
    }
}

public sealed class FindingsSettings : HandoffSettings
{
    [CommandOption("--all")]
    [Description("Include findings that were resolved at the source.")]
    public bool All { get; init; }
}

public sealed class FindingsCommand : HandoffCommand<FindingsSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, FindingsSettings settings, CancellationToken ct)
    {
        await using var db = runtime.Database.CreateContext();
        var rows = await (from f in db.Findings.AsNoTracking()
                          join p in db.People.AsNoTracking() on f.PersonId equals p.Id
                          where settings.All || f.Status == "open"
                          orderby f.Id
                          select new { f, p.DisplayName }).ToListAsync(ct);
        var table = new Table().AddColumns("#", "person", "field", "what the sources say", "wins", "status");
        foreach (var r in rows)
        {
            var detail = JsonDefaults.Deserialize<List<FindingDetail>>(r.f.DetailJson);
            table.AddRow(r.f.Id.ToString(), Markup.Escape(r.DisplayName), r.f.Field,
                Markup.Escape(string.Join("; ", detail.Select(d => $"{d.System}: {d.Value}"))), r.f.ChosenSystem ?? "", r.f.Status);
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{rows.Count} finding(s)");
        return 0;
    }

    private sealed record FindingDetail(string System, string? Value);
}

public sealed class ReviewListSettings : HandoffSettings
{
    [CommandOption("--all")]
    public bool All { get; init; }
}

public sealed class ReviewListCommand : HandoffCommand<ReviewListSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ReviewListSettings settings, CancellationToken ct)
    {
        var items = await runtime.Review.ListAsync(settings.All, ct);
        var table = new Table().AddColumns("#", "kind", "record", "reason", "candidates", "status");
        foreach (var i in items)
        {
            table.AddRow(i.Id.ToString(), i.Kind, Markup.Escape($"{i.System}:{i.NativeKey}" + (i.Field is null ? "" : $" ({i.Field})")), Markup.Escape(i.Reason),
                Markup.Escape(i.CandidatesJson), Markup.Escape(i.Status + (i.Resolution is null ? "" : $": {i.Resolution}")));
        }
        Console.Write(table);
        Console.MarkupLineInterpolated($"{items.Count} item(s)");
        return 0;
    }
}

public sealed class ReviewResolveSettings : HandoffSettings
{
    [CommandArgument(0, "<ID>")]
    public long Id { get; init; }

    [CommandOption("--link <PERSON>")]
    [Description("The record belongs to this person (id, employee id, email…).")]
    public string? Link { get; init; }

    [CommandOption("--new")]
    [Description("The record is a different person: create them.")]
    public bool New { get; init; }

    [CommandOption("--dismiss")]
    public bool Dismiss { get; init; }

    [CommandOption("--accept <SYSTEM>")]
    [Description("For a manual-rule field: this system's value wins.")]
    public string? Accept { get; init; }

    [CommandOption("--as <ACTOR>")]
    public string Actor { get; init; } = Environment.UserName;

    public override ValidationResult Validate()
    {
        var chosen = (Link is null ? 0 : 1) + (New ? 1 : 0) + (Dismiss ? 1 : 0) + (Accept is null ? 0 : 1);
        return chosen == 1 ? base.Validate() : ValidationResult.Error("choose exactly one of --link PERSON, --new, --dismiss, --accept SYSTEM");
    }
}

public sealed class ReviewResolveCommand : HandoffCommand<ReviewResolveSettings>
{
    protected override async Task<int> RunAsync(HandoffRuntime runtime, ReviewResolveSettings settings, CancellationToken ct)
    {
        var workspace = await runtime.Workspace.LoadActiveAsync(ct);
        ReviewDecision decision;
        if (settings.Link is not null)
        {
            await using var db = runtime.Database.CreateContext();
            decision = new ReviewDecision.Link((await PersonLookup.FindAsync(db, settings.Link, ct)).Id);
        }
        else if (settings.New)
        {
            decision = new ReviewDecision.NewPerson();
        }
        else if (settings.Accept is not null)
        {
            decision = new ReviewDecision.Accept(settings.Accept);
        }
        else
        {
            decision = new ReviewDecision.Dismiss();
        }
        var item = await runtime.Review.ResolveAsync(workspace.Definition, settings.Id, decision, settings.Actor, ct);
        Console.MarkupLineInterpolated($"review item {item.Id} resolved: {item.Resolution}");
        return 0;
    }
}
