using System.Globalization;
using Handoff.Core.Governance;
using Handoff.Data.Governance;
using Handoff.Server.Web.Api;
using Handoff.Server.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Handoff.Server.Web.Processes;

/// <summary>The hourly rate the cost model prices manual work at (audited).</summary>
[Authorize(Policy = Capabilities.ProcessesEdit)]
public sealed class RateModel(HandoffRuntime runtime) : PageModel
{
    [BindProperty] public string? Rate { get; set; }
    public decimal Default => ProcessCostSettings.DefaultHourlyRate;
    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) =>
        Rate = ProcessAuditYaml.Format((await runtime.Processes.SettingsAsync(ct)).HourlyRate);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!decimal.TryParse(Rate, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) || rate <= 0m || rate > ProcessAuditStore.MaxHourlyRate)
        {
            Error = $"Rate: \"{Rate}\" is not an hourly rate; give a number above 0 and at most {ProcessAuditStore.MaxHourlyRate:0}, with a point for decimals (13.70)";
            return Page();
        }
        await runtime.Processes.SetRateAsync(rate, User.Actor(), ct);
        TempData["Message"] = $"Hourly rate set to {Cli.ProcessFigures.Money(rate, 2)}.";
        return Redirect("/Processes");
    }
}
