using System.Globalization;
using System.Text.RegularExpressions;
using Handoff.Core.Workflows;

namespace Handoff.Core.Workspace;

/// <summary>
/// Reads the governance part of <c>charter.yaml</c> (sponsors, leads, change rules, success metrics,
/// escalation path, feedback routing) with the same strictness as the rest of the workspace: unknown
/// keys, unknown members, a member on the wrong side, bad durations and SLAs, an escalation path out
/// of order — each reported as <c>charter.yaml:line:column: message</c>, all at once.
/// </summary>
internal static partial class CharterYamlReader
{
    public static readonly string[] Keys = ["sponsors", "leads", "changes", "success_metrics", "escalation", "feedback"];

    private static readonly string[] Sides = ["hr", "it"];

    [GeneratedRegex(@"^(<=|>=|<|>|=)?[+-]?[0-9]+(\.[0-9]+)?%?$")]
    private static partial Regex TargetPattern();

    [GeneratedRegex(@"^[^@\s,;<>""]+@[^@\s,;<>""]+\.[^@\s,;<>""]+$")]
    private static partial Regex EmailPattern();

    public static string? Email(YamlShapeReader y, YamlTreeNode? node)
    {
        var text = y.Text(node, "email", required: true);
        if (text is not null && !EmailPattern().IsMatch(text))
        {
            y.Error(node!, $"\"{text}\" is not a mail address (expected name@domain.tld)");
            return null;
        }
        return text;
    }

    public static Charter ReadGovernance(YamlShapeReader y, YamlFields charter, Charter basic)
    {
        return basic with
        {
            Sponsors = Pair(y, charter["sponsors"], "sponsors", basic),
            Leads = Pair(y, charter["leads"], "leads", basic),
            Changes = Changes(y, charter["changes"]),
            SuccessMetrics = Metrics(y, charter["success_metrics"]),
            Escalation = Escalation(y, charter["escalation"], basic),
            Feedback = Feedback(y, charter["feedback"]),
        };
    }

    private static CharterPair? Pair(YamlShapeReader y, YamlTreeNode? node, string what, Charter charter)
    {
        var f = y.Mapping(node, what, Sides, Sides);
        if (f is null)
            return null;
        var hr = Member(y, f["hr"], $"{what}.hr", charter, SystemOwner.Hr);
        var it = Member(y, f["it"], $"{what}.it", charter, SystemOwner.It);
        return hr is null || it is null ? null : new CharterPair(hr, it);
    }

    /// <summary>A charter member id, optionally required to be on one side.</summary>
    private static string? Member(YamlShapeReader y, YamlTreeNode? node, string what, Charter charter, SystemOwner? side)
    {
        var id = y.Text(node, what, required: true);
        if (id is null)
            return null;
        var member = charter.FindMember(id);
        if (member is null)
        {
            y.Error(node!, $"{what}: \"{id}\" is not a charter member; members: {string.Join(", ", charter.Members.Select(m => m.Id))}");
            return null;
        }
        if (side is { } s && member.Side != s)
        {
            y.Error(node!, $"{what}: {id} is on the {YamlNames.Of(member.Side).ToUpperInvariant()} side, expected an {YamlNames.Of(s).ToUpperInvariant()} member");
            return null;
        }
        return id;
    }

    private static CharterChangeRules Changes(YamlShapeReader y, YamlTreeNode? node)
    {
        var f = y.Mapping(node, "changes", ["update_logic", "approve"]);
        if (f is null)
            return CharterChangeRules.Default;
        var update = SideList(y, f["update_logic"], "update_logic", allowAny: true) ?? [];
        var approve = y.Mapping(f["approve"], "changes.approve", ["logic_only", "widens_permissions"]);
        var logicOnly = SideList(y, approve?["logic_only"], "logic_only", allowAny: true) ?? CharterChangeRules.Default.LogicOnly;
        var widens = SideList(y, approve?["widens_permissions"], "widens_permissions", allowAny: false) ?? CharterChangeRules.Default.WidensPermissions;
        if (approve?["widens_permissions"] is { } wn && widens.Count > 0 && !widens.Contains(SystemOwner.It))
        {
            // Widening access without IT's signature would undo least privilege; the charter may ask for more, never less.
            y.Error(wn, "widens_permissions must include it: a version that widens access always needs an IT approver");
        }
        return new CharterChangeRules(update, logicOnly, widens);
    }

    /// <summary>A list of sides (<c>[hr, it]</c>), or the word <c>any</c> (= empty list).</summary>
    private static List<SystemOwner>? SideList(YamlShapeReader y, YamlTreeNode? node, string what, bool allowAny)
    {
        if (node is null)
            return null;
        if (allowAny && node is YamlTreeScalar { Value: "any" })
            return [];
        var result = new List<SystemOwner>();
        foreach (var item in y.Sequence(node, what))
        {
            if (y.Enum<SystemOwner>(item, what) is { } side && !result.Contains(side))
                result.Add(side);
        }
        if (result.Count == 0 && node is YamlTreeSequence)
            y.Error(node, $"{what}: name at least one side (hr, it){(allowAny ? " or write any" : "")}");
        return result;
    }

    private static List<CharterMetric> Metrics(YamlShapeReader y, YamlTreeNode? node)
    {
        var result = new List<CharterMetric>();
        var seen = new HashSet<string>();
        foreach (var item in y.Sequence(node, "success_metrics"))
        {
            var f = y.Mapping(item, "success metric", ["kpi", "target", "at_days"], ["kpi", "target"]);
            if (f is null)
                continue;
            var kpi = y.Id(f["kpi"], "KPI id");
            if (kpi is not null && !seen.Add(kpi))
                y.Error(f["kpi"]!, $"duplicate success metric \"{kpi}\"");
            var target = y.Text(f["target"], "target", required: true);
            if (target is not null && !TargetPattern().IsMatch(target.Replace(" ", "", StringComparison.Ordinal)))
            {
                y.Error(f["target"]!, $"target \"{target}\": expected a number or a percentage, optionally with <, <=, >, >= or = in front (e.g. -50%, <1%, 0, 100%)");
                target = null;
            }
            var at = 90;
            if (y.Text(f["at_days"], "at_days", required: true) is { } days)
            {
                if (days is "30" or "60" or "90")
                    at = int.Parse(days, CultureInfo.InvariantCulture);
                else
                    y.Error(f["at_days"]!, $"at_days: expected 30, 60 or 90, found \"{days}\"");
            }
            if (kpi is not null && target is not null)
                result.Add(new CharterMetric(kpi, target.Replace(" ", "", StringComparison.Ordinal), at) { At = y.Span(item) });
        }
        return result;
    }

    private static List<EscalationStep> Escalation(YamlShapeReader y, YamlTreeNode? node, Charter charter)
    {
        var result = new List<EscalationStep>();
        var last = new Dictionary<SystemOwner, TimeSpan>();
        foreach (var item in y.Sequence(node, "escalation"))
        {
            var f = y.Mapping(item, "escalation step", ["to", "after", "side"], ["to", "after"]);
            if (f is null)
                continue;
            var to = Member(y, f["to"], "escalation.to", charter, side: null);
            TimeSpan? after = null;
            if (y.Text(f["after"], "after", required: true) is { } text)
            {
                if (text == "0")
                    after = TimeSpan.Zero;
                else if (WorkflowTime.TryParseDuration(text, out var d) && d >= TimeSpan.Zero)
                    after = d;
                else
                    y.Error(f["after"]!, $"after: \"{text}\" is not a duration (e.g. 0, 4h, 1d, 2w): how long after the SLA is breached this step takes over");
            }
            var side = f.Has("side") ? y.Enum<SystemOwner>(f["side"], "side") : null;
            if (f.Has("side") && side is null)
                continue;
            if (after is { } a)
            {
                foreach (var s in side is { } one ? [one] : new[] { SystemOwner.Hr, SystemOwner.It })
                {
                    if (last.TryGetValue(s, out var previous) && a < previous)
                        y.Error(f["after"]!, $"escalation steps must be in order: after {WorkflowTime.Format(a)} comes before the previous step's {WorkflowTime.Format(previous)}");
                    last[s] = a;
                }
            }
            if (to is not null && after is not null)
                result.Add(new EscalationStep(to, after.Value, side) { At = y.Span(item) });
        }
        return result;
    }

    private static FeedbackRules Feedback(YamlShapeReader y, YamlTreeNode? node)
    {
        var f = y.Mapping(node, "feedback", ["categories", "default_category", "remind_at_percent", "time_zone", "mailboxes", "webhook_secret_env"], ["categories"]);
        if (f is null)
            return FeedbackRules.Default;
        var categories = new List<FeedbackCategory>();
        var seen = new HashSet<string>();
        foreach (var item in y.Sequence(f["categories"], "categories"))
        {
            var c = y.Mapping(item, "category", ["id", "label", "route", "sla"], ["id", "route", "sla"]);
            if (c is null)
                continue;
            var id = y.Id(c["id"], "category id");
            if (id is not null && !seen.Add(id))
                y.Error(c["id"]!, $"duplicate category \"{id}\"");
            var label = y.Text(c["label"], "label") ?? id;
            var route = y.Enum<FeedbackRoute>(c["route"], "route");
            FeedbackSla? sla = null;
            if (y.Text(c["sla"], "sla", required: true) is { } slaText)
            {
                if (FeedbackSla.TryParse(slaText, out var parsed))
                    sla = parsed;
                else
                    y.Error(c["sla"]!, $"sla: \"{slaText}\" is not an SLA; expected hours, calendar days or business days such as 8h, 3d, 2bd");
            }
            if (id is not null && label is not null && route is not null && sla is not null)
                categories.Add(new FeedbackCategory(id, label, route.Value, sla) { At = y.Span(item) });
        }
        if (f["categories"] is YamlTreeSequence { Items.Count: 0 } or YamlTreeScalar { IsNull: true })
            y.Error(f["categories"]!, "categories: give at least one category");

        var defaultCategory = categories.FirstOrDefault()?.Id ?? FeedbackRules.Default.DefaultCategory;
        if (y.Text(f["default_category"], "default_category", required: true) is { } d)
        {
            if (categories.Any(c => c.Id == d))
                defaultCategory = d;
            else
                y.Error(f["default_category"]!, $"default_category \"{d}\" is not one of the categories ({string.Join(", ", categories.Select(c => c.Id))})");
        }

        var remind = FeedbackRules.Default.RemindAtPercent;
        if (y.Text(f["remind_at_percent"], "remind_at_percent", required: true) is { } r)
        {
            if (int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 99)
                remind = p;
            else
                y.Error(f["remind_at_percent"]!, $"remind_at_percent: expected a whole number from 1 to 99, found \"{r}\"");
        }

        var zone = FeedbackRules.Default.TimeZone;
        if (y.Text(f["time_zone"], "time_zone", required: true) is { } z)
        {
            if (TimeZoneInfo.TryFindSystemTimeZoneById(z, out _))
                zone = z;
            else
                y.Error(f["time_zone"]!, $"time_zone: \"{z}\" is not a known IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)");
        }

        var mailboxes = new Dictionary<FeedbackRoute, string>();
        foreach (var (key, value) in y.OpenMapping(f["mailboxes"], "mailboxes"))
        {
            FeedbackRoute? route = key.Value switch { "hr_operations" => FeedbackRoute.HrOperations, "it" => FeedbackRoute.It, _ => null };
            if (route is null)
            {
                y.Error(key, $"unknown key \"{key.Value}\" in mailboxes; allowed keys: hr_operations, it");
                continue;
            }
            if (Email(y, value) is { } address)
                mailboxes[route.Value] = address;
        }

        var secret = y.Text(f["webhook_secret_env"], "webhook_secret_env", required: true);
        return new FeedbackRules(categories, defaultCategory, remind, zone, mailboxes, secret);
    }
}

public static partial class WorkspaceWriter
{
    /// <summary>The governance keys of the charter, leaving out what the reader restores as defaults.</summary>
    private static void WriteCharterGovernance(YamlOut w, Charter c)
    {
        void Pair(string key, CharterPair? pair)
        {
            if (pair is null)
                return;
            w.Key(key);
            w.BeginMap();
            w.Pair("hr", pair.Hr);
            w.Pair("it", pair.It);
            w.EndMap();
        }
        static IEnumerable<string> Sides(IEnumerable<SystemOwner> sides) => sides.Select(s => YamlNames.Of(s));

        Pair("sponsors", c.Sponsors);
        Pair("leads", c.Leads);
        if (!c.Changes.IsDefault)
        {
            w.Key("changes");
            w.BeginMap();
            if (c.Changes.UpdateLogic.Count > 0)
                w.FlowList("update_logic", Sides(c.Changes.UpdateLogic));
            w.Key("approve");
            w.BeginMap();
            if (c.Changes.LogicOnly.Count == 0)
                w.Pair("logic_only", "any");
            else
                w.FlowList("logic_only", Sides(c.Changes.LogicOnly));
            w.FlowList("widens_permissions", Sides(c.Changes.WidensPermissions));
            w.EndMap();
            w.EndMap();
        }
        if (c.SuccessMetrics.Count > 0)
        {
            w.Key("success_metrics");
            w.BeginList();
            foreach (var m in c.SuccessMetrics)
            {
                w.BeginMap();
                w.Pair("kpi", m.Kpi);
                w.Pair("target", m.Target);
                if (m.AtDays != 90)
                    w.Pair("at_days", m.AtDays.ToString(CultureInfo.InvariantCulture));
                w.EndMap();
            }
            w.EndList();
        }
        if (c.Escalation.Count > 0)
        {
            w.Key("escalation");
            w.BeginList();
            foreach (var s in c.Escalation)
            {
                w.BeginMap();
                w.Pair("to", s.To);
                w.Pair("after", s.After == TimeSpan.Zero ? "0" : WorkflowTime.Format(s.After));
                if (s.Side is { } side)
                    w.Pair("side", YamlNames.Of(side));
                w.EndMap();
            }
            w.EndList();
        }
        if (!c.Feedback.IsDefault)
        {
            var f = c.Feedback;
            w.Key("feedback");
            w.BeginMap();
            w.Key("categories");
            w.BeginList();
            foreach (var cat in f.Categories)
            {
                w.BeginMap();
                w.Pair("id", cat.Id);
                if (cat.Label != cat.Id)
                    w.Pair("label", cat.Label);
                w.Pair("route", YamlNames.Of(cat.Route));
                w.Pair("sla", cat.Sla.ToString());
                w.EndMap();
            }
            w.EndList();
            if (f.DefaultCategory != f.Categories.FirstOrDefault()?.Id)
                w.Pair("default_category", f.DefaultCategory);
            if (f.RemindAtPercent != FeedbackRules.Default.RemindAtPercent)
                w.Pair("remind_at_percent", f.RemindAtPercent.ToString(CultureInfo.InvariantCulture));
            if (f.TimeZone != FeedbackRules.Default.TimeZone)
                w.Pair("time_zone", f.TimeZone);
            if (f.Mailboxes.Count > 0)
            {
                w.Key("mailboxes");
                w.BeginMap();
                foreach (var (route, address) in f.Mailboxes.OrderBy(m => m.Key))
                    w.Pair(YamlNames.Of(route), address);
                w.EndMap();
            }
            if (f.WebhookSecretEnv is not null)
                w.Pair("webhook_secret_env", f.WebhookSecretEnv);
            w.EndMap();
        }
    }
}
