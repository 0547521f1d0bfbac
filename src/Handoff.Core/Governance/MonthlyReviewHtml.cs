using System.Globalization;
using System.Net;
using System.Text;

namespace Handoff.Core.Governance;

/// <summary>
/// The monthly review as one self-contained HTML document: inline CSS, the KPI trends as inline SVG drawn
/// here, no script and no external resource, so the archived file reads the same in ten years, opens
/// from a mail attachment, and passes a CSP that allows no script. Every text is HTML-encoded.
/// </summary>
public static class MonthlyReviewHtml
{
    /// <summary>The stylesheet, also used by the web page that shows a stored review inside the app.</summary>
    public const string Css = """
        .monthly-review{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;max-width:1100px;margin:0 auto;padding:16px}
        .monthly-review h1{font-size:24px;margin:0 0 4px}.monthly-review h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde6;padding-bottom:4px}
        .monthly-review .meta{color:#5b6577;margin:0 0 12px}.monthly-review table{border-collapse:collapse;width:100%;margin:6px 0}
        .monthly-review th,.monthly-review td{border-bottom:1px solid #e4e8ef;padding:4px 6px;text-align:left;vertical-align:top}
        .monthly-review th{background:#f3f5f9;font-weight:600}.monthly-review .num{text-align:right;font-variant-numeric:tabular-nums}
        .monthly-review .met{color:#17733a;font-weight:600}.monthly-review .not-met{color:#b3261e;font-weight:600}.monthly-review .pending{color:#5b6577}
        .monthly-review .counts{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0}.monthly-review .count{border:1px solid #d8dde6;border-radius:6px;padding:6px 10px;min-width:110px}
        .monthly-review .count b{display:block;font-size:20px}.monthly-review .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
        .monthly-review figure{margin:0;border:1px solid #e4e8ef;border-radius:6px;padding:6px}.monthly-review figcaption{font-weight:600;font-size:13px}
        .monthly-review .empty{color:#5b6577;font-style:italic}
        """;

    public static string Render(MonthlyReview review)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(E($"Monthly review {review.Month} — {review.Workspace}")).Append("</title>\n<style>").Append(Css).Append("</style></head>\n<body>\n");
        h.Append(Body(review));
        h.Append("</body></html>\n");
        return h.ToString();
    }

    /// <summary>The review's content (one <c>main</c> element), without the document around it.</summary>
    public static string Body(MonthlyReview r)
    {
        var h = new StringBuilder();
        h.Append("<main class=\"monthly-review\" id=\"monthly-review\" data-month=\"").Append(r.Month).Append("\">\n");
        h.Append("<h1>Monthly HR–IT review: ").Append(E(r.Month.Title)).Append("</h1>\n");
        h.Append("<p class=\"meta\">Workspace ").Append(E(r.Workspace)).Append(" · period ").Append(D(r.Month.Start)).Append(" to ")
            .Append(D(r.Month.End.AddDays(-1))).Append(" (UTC) · generated ").Append(T(r.GeneratedAt)).Append(" by ").Append(E(r.GeneratedBy)).Append("</p>\n");

        h.Append("<h2 id=\"kpis\">KPIs</h2>\n<table><tr><th>KPI</th><th>baseline</th><th>target</th><th class=\"num\">30 days</th><th class=\"num\">60 days</th><th class=\"num\">90 days</th><th class=\"num\">this month</th><th class=\"num\">vs baseline</th><th>status</th></tr>\n");
        foreach (var k in r.Kpis)
        {
            h.Append("<tr id=\"kpi-").Append(E(k.Fact.Kpi.Id)).Append("\"><td>").Append(E(k.Fact.Kpi.Name)).Append("</td><td>").Append(E(k.Format(k.Fact.Baseline)))
                .Append(k.Fact.Baseline is null ? "" : " <span class=\"pending\">" + E(k.Fact.BaselineSource) + "</span>")
                .Append("</td><td>").Append(E(k.Fact.Kpi.Target.ToString())).Append("</td>");
            foreach (var day in KpiCheckpoints.Days)
                h.Append("<td class=\"num\">").Append(E(k.Format(k.Fact.Checkpoints.GetValueOrDefault(day)))).Append("</td>");
            h.Append("<td class=\"num\">").Append(E(k.Format(k.Fact.MonthValue))).Append("</td><td class=\"num\">").Append(E(Change(k.ChangeVsBaseline)))
                .Append("</td><td class=\"").Append(StatusClass(k.Status)).Append("\">").Append(StatusText(k.Status)).Append("</td></tr>\n");
        }
        h.Append("</table>\n<div class=\"charts\">\n");
        foreach (var k in r.Kpis)
            h.Append("<figure><figcaption>").Append(E(k.Fact.Kpi.Name)).Append(" by month</figcaption>").Append(TrendSvg(k)).Append("</figure>\n");
        h.Append("</div>\n");

        var f = r.FindingCounts;
        h.Append("<h2 id=\"findings\">Drift and health findings</h2>\n<div class=\"counts\">")
            .Append(Count("raised", f.Raised)).Append(Count("acknowledged", f.Acknowledged)).Append(Count("resolved", f.Resolved))
            .Append(Count("open at month end", f.OpenAtEnd)).Append(Count("critical open", f.CriticalOpenAtEnd)).Append("</div>\n");
        if (r.Findings.Count == 0)
            h.Append("<p class=\"empty\">No finding was open during the month.</p>\n");
        else
        {
            h.Append("<table><tr><th>#</th><th>system</th><th>kind</th><th>severity</th><th>detail</th><th>raised</th><th>acknowledged</th><th>resolved</th><th>at month end</th></tr>\n");
            foreach (var l in r.Findings)
            {
                var x = l.Finding;
                h.Append("<tr class=\"finding\"><td>").Append(x.Id).Append("</td><td>").Append(E(x.System)).Append("</td><td>").Append(E(x.Kind)).Append("</td><td>")
                    .Append(E(x.Severity)).Append("</td><td>").Append(E(x.Detail)).Append("</td><td>").Append(T(x.RaisedAt)).Append("</td><td>")
                    .Append(x.AcknowledgedAt is { } a ? T(a) + " " + E(x.AcknowledgedBy ?? "") : "—").Append("</td><td>").Append(x.ResolvedAt is { } z ? T(z) : "—")
                    .Append("</td><td>").Append(l.StateAtEnd).Append("</td></tr>\n");
            }
            h.Append("</table>\n");
        }

        var i = r.IncidentCounts;
        h.Append("<h2 id=\"incidents\">Security incidents</h2>\n<div class=\"counts\">")
            .Append(Count("blocked writes", i.BlockedWrites)).Append(Count("permission refusals", i.PermissionRefusals))
            .Append(Count("other flagged", i.OtherFlagged)).Append(Count("recorded incidents", i.Recorded)).Append(Count("total", i.Total)).Append("</div>\n");
        if (r.Incidents.Count + r.RecordedIncidents.Count == 0)
            h.Append("<p class=\"empty\">No incident in the month.</p>\n");
        else
        {
            h.Append("<table><tr><th>when</th><th>what</th><th>who</th><th>object</th></tr>\n");
            foreach (var x in r.Incidents)
                h.Append("<tr><td>").Append(T(x.At)).Append("</td><td>").Append(E(x.Action)).Append("</td><td>").Append(E(x.Actor)).Append("</td><td>")
                    .Append(E(x.ObjectType + " " + x.ObjectId)).Append("</td></tr>\n");
            foreach (var x in r.RecordedIncidents)
                h.Append("<tr><td>").Append(D(x.At)).Append("</td><td>recorded: ").Append(E(x.Count.ToString("0.##", CultureInfo.InvariantCulture)))
                    .Append(x.Note is null ? "" : " — " + E(x.Note)).Append("</td><td>").Append(E(x.By)).Append("</td><td></td></tr>\n");
            h.Append("</table>\n");
        }

        var fb = r.FeedbackCounts;
        h.Append("<h2 id=\"feedback\">Feedback and escalations</h2>\n<div class=\"counts\">")
            .Append(Count("opened", fb.Opened)).Append(Count("closed", fb.Closed)).Append(Count("closed within SLA", fb.ClosedWithinSla))
            .Append(Count("SLA breached", fb.Breached)).Append(Count("escalated", fb.Escalated)).Append(Count("open at month end", fb.OpenAtEnd)).Append("</div>\n");
        if (r.Feedback.Count == 0)
            h.Append("<p class=\"empty\">No feedback report was open during the month.</p>\n");
        else
        {
            h.Append("<table><tr><th>#</th><th>category</th><th>routed to</th><th>reported</th><th>deadline</th><th>breached</th><th>escalation</th><th>status at month end</th></tr>\n");
            foreach (var l in r.Feedback)
            {
                var x = l.Report;
                h.Append("<tr class=\"feedback\"><td>").Append(x.Id).Append("</td><td>").Append(E(x.Category)).Append("</td><td>").Append(E(x.Route)).Append("</td><td>")
                    .Append(T(x.ReportedAt)).Append("</td><td>").Append(T(x.DeadlineAt)).Append("</td><td>").Append(x.BreachedAt is { } b ? T(b) : "—").Append("</td><td>")
                    .Append(x.EscalationLevel == 0 ? "—" : "level " + x.EscalationLevel.ToString(CultureInfo.InvariantCulture)).Append("</td><td>")
                    .Append(l.OpenAtEnd ? "open" : x.WithinSla == true ? "resolved within SLA" : "resolved late").Append("</td></tr>\n");
            }
            h.Append("</table>\n");
        }

        h.Append("<h2 id=\"backlog\">Backlog (ranked)</h2>\n");
        if (r.Backlog.Count == 0)
            h.Append("<p class=\"empty\">The backlog is empty.</p>\n");
        else
        {
            h.Append("<table><tr><th>#</th><th>candidate</th><th class=\"num\">HR (value+volume+pain)</th><th class=\"num\">IT (effort+risk+availability)</th><th class=\"num\">rank</th><th>warnings</th></tr>\n");
            var n = 0;
            foreach (var b in r.Backlog)
                h.Append("<tr class=\"backlog\"><td>").Append(b.Rank is null ? "—" : (++n).ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(E(b.Name))
                    .Append(" <span class=\"pending\">").Append(E(b.Id)).Append("</span></td><td class=\"num\">").Append(b.HrSum?.ToString(CultureInfo.InvariantCulture) ?? "—")
                    .Append("</td><td class=\"num\">").Append(b.ItSum?.ToString(CultureInfo.InvariantCulture) ?? "—").Append("</td><td class=\"num\">")
                    .Append(b.Rank?.ToString("0.00", CultureInfo.InvariantCulture) ?? "not ranked").Append("</td><td>").Append(E(string.Join("; ", b.Warnings))).Append("</td></tr>\n");
            h.Append("</table>\n");
        }
        h.Append("</main>\n");
        return h.ToString();
    }

    /// <summary>A small line chart of a KPI's monthly values; months without a value leave a gap.</summary>
    public static string TrendSvg(KpiReviewLine line)
    {
        const double W = 320, H = 140, L = 48, R = 16, T = 10, B = 24;
        var trend = line.Fact.Trend;
        var ratio = line.Fact.Kpi.Unit == "ratio";
        var values = trend.Select(t => t.Value is { } v ? (double?)(double)(ratio ? v * 100m : v) : null).ToList();
        var max = values.Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(0).Max();
        var top = max <= 0 ? 1 : NiceCeiling(max);
        var s = new StringBuilder();
        s.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").Append(N(W)).Append(' ').Append(N(H)).Append("\" width=\"100%\" role=\"img\" aria-label=\"")
            .Append(E(line.Fact.Kpi.Name)).Append(" by month\">");
        s.Append("<line x1=\"").Append(N(L)).Append("\" y1=\"").Append(N(H - B)).Append("\" x2=\"").Append(N(W - R)).Append("\" y2=\"").Append(N(H - B)).Append("\" stroke=\"#9aa3b2\"/>");
        s.Append("<line x1=\"").Append(N(L)).Append("\" y1=\"").Append(N(T)).Append("\" x2=\"").Append(N(L)).Append("\" y2=\"").Append(N(H - B)).Append("\" stroke=\"#9aa3b2\"/>");
        s.Append("<text x=\"").Append(N(L - 4)).Append("\" y=\"").Append(N(T + 8)).Append("\" font-size=\"10\" text-anchor=\"end\" fill=\"#5b6577\">").Append(E(AxisLabel(top, ratio))).Append("</text>");
        s.Append("<text x=\"").Append(N(L - 4)).Append("\" y=\"").Append(N(H - B)).Append("\" font-size=\"10\" text-anchor=\"end\" fill=\"#5b6577\">0</text>");
        var step = trend.Count > 1 ? (W - L - R) / (trend.Count - 1) : 0;
        double X(int k) => L + (trend.Count > 1 ? k * step : (W - L - R) / 2);
        double Y(double v) => H - B - v / top * (H - T - B);
        var segment = new List<string>();
        void Flush()
        {
            if (segment.Count > 1)
                s.Append("<polyline fill=\"none\" stroke=\"#2f5fb3\" stroke-width=\"2\" points=\"").Append(string.Join(' ', segment)).Append("\"/>");
            segment.Clear();
        }
        for (var k = 0; k < trend.Count; k++)
        {
            s.Append("<text x=\"").Append(N(X(k))).Append("\" y=\"").Append(N(H - 8)).Append("\" font-size=\"9\" text-anchor=\"middle\" fill=\"#5b6577\">")
                .Append(trend[k].Month.ToString()[2..]).Append("</text>");
            if (values[k] is not { } v)
            {
                Flush();
                continue;
            }
            segment.Add(N(X(k)) + "," + N(Y(v)));
            s.Append("<circle cx=\"").Append(N(X(k))).Append("\" cy=\"").Append(N(Y(v))).Append("\" r=\"3\" fill=\"#2f5fb3\"><title>")
                .Append(trend[k].Month).Append(": ").Append(E(Kpis.Format(line.Fact.Kpi, trend[k].Value))).Append("</title></circle>");
        }
        Flush();
        if (values.All(v => v is null))
            s.Append("<text x=\"").Append(N((L + W - R) / 2)).Append("\" y=\"").Append(N(H / 2)).Append("\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6577\">no data yet</text>");
        s.Append("</svg>");
        return s.ToString();
    }

    /// <summary>The smallest 1, 2 or 5 × 10ⁿ at or above <paramref name="v"/>, so the axis reads in round numbers.</summary>
    public static double NiceCeiling(double v)
    {
        var p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1.0, 2.0, 5.0, 10.0 })
        {
            if (m * p >= v)
                return m * p;
        }
        return 10 * p;
    }

    public static string AxisLabel(double top, bool ratio) => top.ToString("0.##", CultureInfo.InvariantCulture) + (ratio ? " %" : "");

    public static string StatusText(KpiStatus s) => s switch { KpiStatus.Met => "met", KpiStatus.NotMet => "not met", _ => "pending" };

    private static string StatusClass(KpiStatus s) => s switch { KpiStatus.Met => "met", KpiStatus.NotMet => "not-met", _ => "pending" };

    public static string Change(decimal? change) =>
        change is { } c ? (c * 100m).ToString("+0.#;-0.#;0", CultureInfo.InvariantCulture) + " %" : "—";

    private static string Count(string label, decimal n) =>
        "<div class=\"count\"><b>" + n.ToString("0.##", CultureInfo.InvariantCulture) + "</b>" + E(label) + "</div>";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string D(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string T(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
