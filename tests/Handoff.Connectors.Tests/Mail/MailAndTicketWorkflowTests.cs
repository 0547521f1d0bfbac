using System.Text.Json;
using Handoff.Connectors.Mail;
using Handoff.Connectors.Tests.Http;
using Handoff.Core.Workspace;
using Handoff.Data.Tests;
using Handoff.Data.Workflows;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Handoff.Connectors.Tests.Mail;

/// <summary>The engine, assembled as in production (<see cref="TargetConnectors.For"/>), runs a
/// workflow that opens a ticket over HTTP and sends a welcome mail from a workspace template through a
/// real SMTP server; the ticket number the API answered reaches the mail.</summary>
public sealed class MailAndTicketWorkflowTests
{
    private const string Workflow = """
        id: welcome
        trigger: { manual: true }
        permissions:
          read: [first_name, last_name, start_date]
          write: { helpdesk: [ticket.create], relay: [mail.send] }
        steps:
          - id: laptop
            uses: ticketing.create_ticket
            target: helpdesk
            with: { title: 'Laptop for {{ first_name }} {{ last_name }}', due: '{{ start_date }}' }
          - id: welcome
            uses: mail.send
            target: relay
            retry: { attempts: 3, delay: 10ms }
            with:
              to: zoe.obrien@acme.example
              template: welcome
              values: { first_name: '{{ first_name }}', laptop_ticket: '{{ steps.laptop.ticket }}' }
        """;

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_ticket_is_opened_over_http_and_its_number_reaches_the_templated_welcome_mail(string provider)
    {
        var certificate = TestCertificate.Create();
        using var smtp = await SmtpTestServer.StartAsync(certificate, failFirst: 1);
        using var api = new LoopbackServer { Answer = _ => (201, """{"ticket": {"key": "HD-4711"}}""", null) };

        var dir = CopyOfAcme();
        Directory.CreateDirectory(Path.Combine(dir, "mail"));
        await File.WriteAllTextAsync(Path.Combine(dir, "mail", "welcome.liquid"),
            "Subject: Welcome, {{ first_name }}\n\nHi {{ first_name }}, your laptop is ticket {{ laptop_ticket }}.\n");
        await File.AppendAllTextAsync(Path.Combine(dir, WorkspaceLoader.SystemsFile), $$"""
              - id: helpdesk
                name: Helpdesk (HTTP ticketing)
                kind: ticketing
                connector: http
                owner: it
                config:
                  url: {{api.Url}}
                  ticket_path: rest/tickets
                  ticket_body: '{"summary": {{"{{"}} title | json {{"}}"}}, "due": {{"{{"}} due | json {{"}}"}}}'
                  ticket_id: /ticket/key
              - id: relay
                name: Mail relay
                kind: mail
                connector: smtp
                owner: it
                config:
                  host: 127.0.0.1
                  port: "{{smtp.Port}}"
                  from: Acme IT <it@acme.example>
                  templates: mail
                  ca_file: {{certificate.PemFile}}

            """);
        var spine = await DataSpine.StartAsync(provider, workspaceDir: dir);
        var workflows = new WorkflowStore(spine.Database, spine.Clock, spine.Audit, spine.Workspace);
        var engine = new WorkflowEngine(spine.Database, spine.Clock, spine.Audit, spine.Workspace, workflows, spine.Keys,
            ws => TargetConnectors.For(ws, spine.Database, spine.Clock));
        await workflows.ProposeAsync(Workflow, "welcome.yaml", "alice", default);
        await workflows.ApproveAsync("welcome", "hector", default);
        await workflows.ApproveAsync("welcome", "ivan", default);
        await workflows.ActivateAsync("welcome", "tara", default);
        await spine.SyncRecordsAsync("hris", new Dictionary<string, string?>
        {
            ["Employee_ID"] = "900800",
            ["Legal_First_Name"] = "Zoë",
            ["Legal_Last_Name"] = "O'Brien",
            ["Employment_Begin_Date"] = "12/02/2026",
            ["Department"] = "Engineering",
            ["Worker_Type"] = "Regular",
        });
        var person = (await spine.PersonByKeyAsync("employee_id", "900800")).Row.Id;

        await engine.StartManualAsync("welcome", person, null, 1, "alice", default);
        await engine.RunDueAsync(10, default);

        await using var db = spine.Db();
        var run = await db.Runs.SingleAsync();
        Assert.True(run.Status == RunStatus.Completed, run.Error);
        var steps = await db.RunSteps.Where(s => s.RunId == run.Id).OrderBy(s => s.Id).ToListAsync();
        Assert.Equal(2, steps[1].Attempts); // the 451 was transient: the engine retried the mail

        var request = Assert.Single(api.Requests);
        Assert.Equal("/rest/tickets", request.Path);
        using (var body = JsonDocument.Parse(request.Body))
        {
            Assert.Equal("Laptop for Zoë O'Brien", body.RootElement.GetProperty("summary").GetString());
            Assert.Equal("2026-12-02", body.RootElement.GetProperty("due").GetString());
        }

        var mail = Assert.Single(smtp.Messages());
        Assert.Equal("Welcome, Zoë", mail.Subject);
        Assert.Equal("Hi Zoë, your laptop is ticket HD-4711.", mail.TextBody!.Trim());
        Assert.Equal("zoe.obrien@acme.example", Assert.Single(mail.To.Mailboxes).Address);
        Assert.Equal(SmtpConnector.MessageIdFor($"{run.Id:N}/welcome", MailboxAddress.Parse("it@acme.example")), mail.MessageId);
        Assert.Equal($"{run.Id:N}/welcome", mail.Headers[SmtpConnector.IdempotencyHeader]);
    }

    private static string CopyOfAcme()
    {
        var dir = Path.Combine(Path.GetTempPath(), "handoff-ws-mail-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return dir;
    }
}
