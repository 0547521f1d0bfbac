using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace Handoff.Core.Governance;

/// <summary>No usable font file: the PDF cannot be written. The message says what was looked for and where.</summary>
public sealed class MonthlyReviewFontException(string message) : Exception(message);

/// <summary>
/// PDFsharp on Linux has no system font access of its own: it asks an <see cref="IFontResolver"/> for font
/// bytes. This one serves DejaVu Sans (regular and bold) from a font file on the machine — Debian's
/// <c>fonts-dejavu-core</c> — or from the folder in <c>HANDOFF_PDF_FONTS</c>. Every family name maps to it:
/// the review uses one face, and a missing glyph is better than a missing report.
/// </summary>
public sealed class MonthlyReviewFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";
    public const string FontsVariable = "HANDOFF_PDF_FONTS";
    private const string Regular = "DejaVuSans.ttf", Bold = "DejaVuSans-Bold.ttf";

    private static readonly Lock Gate = new();
    private static MonthlyReviewFonts? _installed;
    private readonly Dictionary<string, byte[]> _faces;

    private MonthlyReviewFonts(Dictionary<string, byte[]> faces) => _faces = faces;

    /// <summary>The folders searched, in order: <c>HANDOFF_PDF_FONTS</c>, then the usual Debian, Fedora and Alpine places.</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable(FontsVariable) is { Length: > 0 } custom)
            folders.Add(custom);
        folders.AddRange(["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/dejavu-sans-fonts", "/usr/share/fonts/TTF",
            "/usr/local/share/fonts", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.Fonts) is { Length: > 0 } f ? f : "/nonexistent")]);
        return folders;
    }

    /// <summary>Installs the resolver once per process (PDFsharp's setting is global).</summary>
    /// <exception cref="MonthlyReviewFontException">DejaVuSans.ttf was found in none of the folders.</exception>
    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (_installed is not null)
                return;
            var folders = SearchFolders();
            var regular = folders.Select(f => Path.Combine(f, Regular)).FirstOrDefault(File.Exists)
                ?? throw new MonthlyReviewFontException($"PDF: the font file {Regular} was not found in {string.Join(", ", folders)}. " +
                    $"Install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core) or set {FontsVariable} to a folder that holds {Regular}.");
            var bold = Path.Combine(Path.GetDirectoryName(regular)!, Bold);
            var faces = new Dictionary<string, byte[]> { ["regular"] = File.ReadAllBytes(regular) };
            faces["bold"] = File.Exists(bold) ? File.ReadAllBytes(bold) : faces["regular"];
            _installed = new MonthlyReviewFonts(faces);
            if (GlobalFontSettings.FontResolver is null)
                GlobalFontSettings.FontResolver = _installed;
        }
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) => new(bold ? "bold" : "regular");

    public byte[]? GetFont(string faceName) => _faces.GetValueOrDefault(faceName);
}

/// <summary>
/// The monthly review as a PDF (PDFsharp 6.2, MIT): the same sections as the HTML page as text tables,
/// and the KPI trends drawn with <see cref="XGraphics"/>. A4 portrait, pages added as the text runs on.
/// </summary>
public static class MonthlyReviewPdf
{
    private const double Margin = 40, LineHeight = 13;

    public static byte[] Render(MonthlyReview r)
    {
        MonthlyReviewFonts.EnsureInstalled();
        using var document = new PdfDocument();
        document.Info.Title = $"Monthly review {r.Month} — {r.Workspace}";
        document.Info.Author = r.GeneratedBy;
        document.Info.Creator = "Handoff";
        document.Info.CreationDate = r.GeneratedAt.UtcDateTime;
        var w = new Writer(document);

        w.Text($"Monthly HR–IT review: {r.Month.Title}", w.Title);
        w.Text($"Workspace {r.Workspace} · generated {T(r.GeneratedAt)} by {r.GeneratedBy}", w.Small);
        w.Gap();

        w.Heading("KPIs");
        double[] kpiCols = [130, 70, 80, 45, 45, 45, 55, 45];
        w.Row(["KPI", "baseline", "target", "30 d", "60 d", "90 d", "month", "status"], kpiCols, bold: true);
        foreach (var k in r.Kpis)
        {
            w.Row([k.Fact.Kpi.Name, k.Format(k.Fact.Baseline), k.Fact.Kpi.Target.ToString(), k.Format(k.Fact.Checkpoints.GetValueOrDefault(30)),
                k.Format(k.Fact.Checkpoints.GetValueOrDefault(60)), k.Format(k.Fact.Checkpoints.GetValueOrDefault(90)), k.Format(k.Fact.MonthValue),
                MonthlyReviewHtml.StatusText(k.Status)], kpiCols);
        }
        w.Gap();
        w.Charts(r.Kpis);

        var f = r.FindingCounts;
        w.Heading("Drift and health findings");
        w.Text($"raised {f.Raised} · acknowledged {f.Acknowledged} · resolved {f.Resolved} · open at month end {f.OpenAtEnd} (critical {f.CriticalOpenAtEnd})", w.Body);
        double[] findingCols = [30, 70, 60, 50, 230, 75];
        if (r.Findings.Count > 0)
            w.Row(["#", "system", "kind", "severity", "detail", "at month end"], findingCols, bold: true);
        foreach (var l in r.Findings)
            w.Row([l.Finding.Id.ToString(CultureInfo.InvariantCulture), l.Finding.System, l.Finding.Kind, l.Finding.Severity, l.Finding.Detail, l.StateAtEnd], findingCols);
        w.Gap();

        var i = r.IncidentCounts;
        w.Heading("Security incidents");
        w.Text($"blocked writes {i.BlockedWrites} · permission refusals {i.PermissionRefusals} · other flagged {i.OtherFlagged} · recorded {Num(i.Recorded)} · total {Num(i.Total)}", w.Body);
        double[] incidentCols = [90, 160, 130, 135];
        if (r.Incidents.Count > 0)
            w.Row(["when", "what", "who", "object"], incidentCols, bold: true);
        foreach (var x in r.Incidents)
            w.Row([T(x.At), x.Action, x.Actor, x.ObjectType + " " + x.ObjectId], incidentCols);
        w.Gap();

        var fb = r.FeedbackCounts;
        w.Heading("Feedback and escalations");
        w.Text($"opened {fb.Opened} · closed {fb.Closed} (within SLA {fb.ClosedWithinSla}) · SLA breached {fb.Breached} · escalated {fb.Escalated} · open at month end {fb.OpenAtEnd}", w.Body);
        double[] feedbackCols = [30, 90, 80, 90, 90, 135];
        if (r.Feedback.Count > 0)
            w.Row(["#", "category", "routed to", "reported", "deadline", "status at month end"], feedbackCols, bold: true);
        foreach (var l in r.Feedback)
        {
            w.Row([l.Report.Id.ToString(CultureInfo.InvariantCulture), l.Report.Category, l.Report.Route, T(l.Report.ReportedAt), T(l.Report.DeadlineAt),
                l.OpenAtEnd ? (l.Report.BreachedAt is null ? "open" : "open, SLA breached") : l.Report.WithinSla == true ? "resolved within SLA" : "resolved late"], feedbackCols);
        }
        w.Gap();

        w.Heading("Backlog (ranked)");
        double[] backlogCols = [25, 200, 50, 50, 50, 140];
        if (r.Backlog.Count == 0)
            w.Text("The backlog is empty.", w.Body);
        else
            w.Row(["#", "candidate", "HR", "IT", "rank", "warnings"], backlogCols, bold: true);
        var n = 0;
        foreach (var b in r.Backlog)
        {
            w.Row([b.Rank is null ? "—" : (++n).ToString(CultureInfo.InvariantCulture), b.Name, b.HrSum?.ToString(CultureInfo.InvariantCulture) ?? "—",
                b.ItSum?.ToString(CultureInfo.InvariantCulture) ?? "—", b.Rank?.ToString("0.00", CultureInfo.InvariantCulture) ?? "not ranked", string.Join("; ", b.Warnings)], backlogCols);
        }
        w.Finish();

        using var stream = new MemoryStream();
        document.Save(stream, closeStream: false);
        return stream.ToArray();
    }

    /// <summary>Writes top to bottom and starts a new page when the next line would not fit.</summary>
    private sealed class Writer
    {
        private readonly PdfDocument _document;
        private PdfPage _page = null!;
        private XGraphics _gfx = null!;
        private double _y;
        public readonly XFont Title = new(MonthlyReviewFonts.Family, 16, XFontStyleEx.Bold);
        public readonly XFont HeadingFont = new(MonthlyReviewFonts.Family, 12, XFontStyleEx.Bold);
        public readonly XFont Body = new(MonthlyReviewFonts.Family, 8.5, XFontStyleEx.Regular);
        public readonly XFont BodyBold = new(MonthlyReviewFonts.Family, 8.5, XFontStyleEx.Bold);
        public readonly XFont Small = new(MonthlyReviewFonts.Family, 7.5, XFontStyleEx.Regular);

        public Writer(PdfDocument document)
        {
            _document = document;
            NewPage();
        }

        private double Bottom => _page.Height.Point - Margin;

        private double Width => _page.Width.Point - 2 * Margin;

        private void NewPage()
        {
            _gfx?.Dispose();
            _page = _document.AddPage();
            _page.Size = PdfSharp.PageSize.A4;
            _gfx = XGraphics.FromPdfPage(_page);
            _y = Margin;
        }

        private void Room(double height)
        {
            if (_y + height > Bottom)
                NewPage();
        }

        public void Gap() => _y += LineHeight / 2;

        public void Heading(string text)
        {
            Room(LineHeight * 3);
            _y += 4;
            Text(text, HeadingFont);
            _gfx.DrawLine(XPens.LightGray, Margin, _y - 2, Margin + Width, _y - 2);
            _y += 2;
        }

        public void Text(string text, XFont font)
        {
            var height = font.Size * 1.4;
            Room(height);
            _gfx.DrawString(Fit(text, font, Width), font, XBrushes.Black, new XRect(Margin, _y, Width, height), XStringFormats.TopLeft);
            _y += height;
        }

        public void Row(IReadOnlyList<string> cells, IReadOnlyList<double> widths, bool bold = false)
        {
            Room(LineHeight);
            var font = bold ? BodyBold : Body;
            var x = Margin;
            for (var c = 0; c < cells.Count; c++)
            {
                _gfx.DrawString(Fit(cells[c], font, widths[c] - 4), font, XBrushes.Black, new XRect(x, _y, widths[c] - 4, LineHeight), XStringFormats.TopLeft);
                x += widths[c];
            }
            _y += LineHeight;
            _gfx.DrawLine(bold ? XPens.Gray : XPens.LightGray, Margin, _y - 1.5, Margin + widths.Sum(), _y - 1.5);
        }

        /// <summary>The KPI trends, three small charts a row.</summary>
        public void Charts(IReadOnlyList<KpiReviewLine> kpis)
        {
            const double height = 110, gap = 10;
            var width = (Width - 2 * gap) / 3;
            for (var k = 0; k < kpis.Count; k++)
            {
                if (k % 3 == 0)
                {
                    if (k > 0)
                        _y += height + gap;
                    Room(height + gap);
                }
                Chart(kpis[k], Margin + k % 3 * (width + gap), _y, width, height);
            }
            if (kpis.Count > 0)
                _y += height + gap;
        }

        private void Chart(KpiReviewLine line, double x, double y, double width, double height)
        {
            _gfx.DrawRectangle(XPens.LightGray, x, y, width, height);
            _gfx.DrawString(Fit(line.Fact.Kpi.Name, BodyBold, width - 8), BodyBold, XBrushes.Black, new XRect(x + 4, y + 3, width - 8, 12), XStringFormats.TopLeft);
            var ratio = line.Fact.Kpi.Unit == "ratio";
            var trend = line.Fact.Trend;
            var values = trend.Select(t => t.Value is { } v ? (double?)(double)(ratio ? v * 100m : v) : null).ToList();
            var max = values.Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(0).Max();
            var top = max <= 0 ? 1 : MonthlyReviewHtml.NiceCeiling(max);
            double left = x + 34, right = x + width - 14, upper = y + 20, lower = y + height - 16;
            _gfx.DrawLine(XPens.Gray, left, lower, right, lower);
            _gfx.DrawLine(XPens.Gray, left, upper, left, lower);
            _gfx.DrawString(MonthlyReviewHtml.AxisLabel(top, ratio), Small, XBrushes.Gray, new XRect(x + 2, upper - 4, 30, 10), XStringFormats.TopRight);
            _gfx.DrawString("0", Small, XBrushes.Gray, new XRect(x + 2, lower - 8, 30, 10), XStringFormats.TopRight);
            var step = trend.Count > 1 ? (right - left) / (trend.Count - 1) : 0;
            double X(int i) => trend.Count > 1 ? left + i * step : (left + right) / 2;
            double Y(double v) => lower - v / top * (lower - upper);
            var pen = new XPen(XColor.FromArgb(47, 95, 179), 1.6);
            XPoint? previous = null;
            for (var i = 0; i < trend.Count; i++)
            {
                _gfx.DrawString(trend[i].Month.ToString()[2..], Small, XBrushes.Gray, new XRect(X(i) - 15, lower + 2, 30, 10), XStringFormats.TopCenter);
                if (values[i] is not { } v)
                {
                    previous = null;
                    continue;
                }
                var point = new XPoint(X(i), Y(v));
                if (previous is { } p)
                    _gfx.DrawLine(pen, p, point);
                _gfx.DrawEllipse(new XSolidBrush(XColor.FromArgb(47, 95, 179)), point.X - 2, point.Y - 2, 4, 4);
                previous = point;
            }
            if (values.All(v => v is null))
                _gfx.DrawString("no data yet", Small, XBrushes.Gray, new XRect(left, upper, right - left, lower - upper), XStringFormats.Center);
        }

        /// <summary>Cuts a cell's text with "…" so columns never overlap (the HTML page has the full text).</summary>
        private string Fit(string text, XFont font, double width)
        {
            if (_gfx.MeasureString(text, font).Width <= width)
                return text;
            var lo = 0;
            var hi = text.Length;
            while (lo < hi)
            {
                var mid = (lo + hi + 1) / 2;
                if (_gfx.MeasureString(text[..mid] + "…", font).Width <= width)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            return text[..lo] + "…";
        }

        public void Finish() => _gfx.Dispose();
    }

    private static string Num(decimal v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string T(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
