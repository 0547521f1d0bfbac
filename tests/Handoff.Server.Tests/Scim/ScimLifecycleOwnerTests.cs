using System.Net;
using System.Text.Json.Nodes;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Scim;

/// <summary>Who may end a worker over SCIM: the system of record of the dictionary's lifecycle
/// termination date (Acme: hris) owns the lifecycle; another writer (hr-scim) ends only people the owner
/// does not know. Everything goes through the real endpoints after the HRIS file went through the
/// source pipeline, with Acme's offboarding workflow active.</summary>
public sealed class ScimLifecycleOwnerTests
{
    private static async Task ActivateOffboardingAsync(ScimHost host)
    {
        var workflows = host.Runtime.Workflows;
        var yaml = await File.ReadAllTextAsync(Path.Combine(Repository.AcmeWorkspace, "workflows", "offboarding.yaml"));
        var proposal = await workflows.ProposeAsync(yaml, "offboarding.yaml", "alice", default);
        var reference = $"{proposal.WorkflowId}@v{proposal.Version}";
        await workflows.ApproveAsync(reference, "hector", default);
        if (proposal.Widens.Count > 0)
            await workflows.ApproveAsync(reference, "ivan", default);
        await workflows.ActivateAsync(reference, "tara", default);
    }

    private static async Task<int> RunsOfAsync(ScimHost host, Guid person)
    {
        await host.Runtime.Engine.DispatchEventsAsync(default);
        await using var db = host.Spine.Db();
        return await db.Runs.CountAsync(r => r.PersonId == person);
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_scim_delete_does_not_end_a_worker_the_hris_owns_but_still_ends_a_scim_only_worker(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider, ingestHris: true);
        await ActivateOffboardingAsync(host);
        var (okafor, _) = await host.Spine.PersonByKeyAsync("employee_id", "100102");
        Assert.Equal("active", okafor.State);

        // The SCIM user joins the HRIS worker through its externalId (correlation is fine) …
        var created = await host.PostAsync("/Users", ScimHost.User("not.david@acme.example", "David", "Okafor", externalId: "100102", hireDate: "2015-06-15"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Json["id"]!.ToString();
        await using (var db = host.Spine.Db())
            Assert.Equal(okafor.Id, (await db.SourceRecords.SingleAsync(s => s.System == "hr-scim")).PersonId);
        var eventsBefore = await host.Spine.EventTypesAsync(okafor.Id);

        // … but its DELETE is no termination: refused, naming the owner, and the resource stays.
        var deleted = await host.SendAsync(HttpMethod.Delete, $"/Users/{id}");
        Assert.Equal(HttpStatusCode.Conflict, deleted.Status);
        Assert.Equal("409", deleted.Json["status"]!.ToString());
        Assert.Equal("mutability", deleted.Json["scimType"]!.ToString());
        var detail = deleted.Json["detail"]!.ToString();
        Assert.Contains("hris", detail);
        Assert.Contains("termination_date", detail);
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync($"/Users/{id}")).Status);

        // The same through /Bulk.
        var bulk = await host.PostAsync("/Bulk", new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:BulkRequest"),
            ["Operations"] = new JsonArray(new JsonObject { ["method"] = "DELETE", ["path"] = $"/Users/{id}" }),
        });
        Assert.Equal(HttpStatusCode.OK, bulk.Status);
        Assert.Equal("409", bulk.Json["Operations"]![0]!["status"]!.ToString());

        var (after, values) = await host.Spine.PersonByKeyAsync("employee_id", "100102");
        Assert.Equal("active", after.State);
        Assert.False(values.ContainsKey("termination_date"));
        Assert.Equal(eventsBefore, await host.Spine.EventTypesAsync(okafor.Id));
        Assert.Equal(0, await RunsOfAsync(host, okafor.Id));

        // Created and deleted in one bulk request, before any correlation: the user reached no person, so it ends nobody.
        var (goldberg, _) = await host.Spine.PersonByKeyAsync("employee_id", "100103");
        var both = await host.PostAsync("/Bulk", new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:BulkRequest"),
            ["Operations"] = new JsonArray(
                new JsonObject { ["method"] = "POST", ["path"] = "/Users", ["bulkId"] = "u1", ["data"] = ScimHost.User("not.sarah@acme.example", "Sarah", "Goldberg", externalId: "100103", hireDate: "2016-01-11") },
                new JsonObject { ["method"] = "DELETE", ["path"] = "/Users/bulkId:u1" }),
        });
        Assert.Equal(HttpStatusCode.OK, both.Status);
        Assert.Equal("204", both.Json["Operations"]![1]!["status"]!.ToString());
        Assert.Equal("active", (await host.Spine.PersonByKeyAsync("employee_id", "100103")).Row.State);
        Assert.Equal(0, await RunsOfAsync(host, goldberg.Id));

        // A worker the HRIS does not know is the SCIM source's own: DELETE terminates them and offboarding runs.
        var own = await host.PostAsync("/Users", ScimHost.User("scim.only@acme.example", "Scim", "Only", externalId: "930101", hireDate: "2020-01-06"));
        Assert.Equal(HttpStatusCode.Created, own.Status);
        var (ownPerson, _) = await host.Spine.PersonByKeyAsync("employee_id", "930101");
        Assert.Equal("active", ownPerson.State);
        Assert.Equal(HttpStatusCode.NoContent, (await host.SendAsync(HttpMethod.Delete, $"/Users/{own.Json["id"]}")).Status);
        var (ended, endedValues) = await host.Spine.PersonByKeyAsync("employee_id", "930101");
        Assert.Equal("terminated", ended.State);
        Assert.Equal("2026-11-27", endedValues["termination_date"].Value);
        Assert.Contains("person.terminated", await host.Spine.EventTypesAsync(ended.Id));
        Assert.Equal(1, await RunsOfAsync(host, ended.Id));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Once_the_hris_has_ended_the_worker_the_scim_delete_is_accepted_and_the_hris_date_stays(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider, ingestHris: true);
        // Hannah Whitfield: terminated by the HRIS on 2026-06-30.
        var (whitfield, before) = await host.Spine.PersonByKeyAsync("employee_id", "100105");
        Assert.Equal("terminated", whitfield.State);
        Assert.Equal("2026-06-30", before["termination_date"].Value);

        var created = await host.PostAsync("/Users", ScimHost.User("hannah.whitfield@acme.example", "Hannah", "Whitfield", externalId: "100105", hireDate: "2017-05-08"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var deleted = await host.SendAsync(HttpMethod.Delete, $"/Users/{created.Json["id"]}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync($"/Users/{created.Json["id"]}")).Status);

        var (after, values) = await host.Spine.PersonByKeyAsync("employee_id", "100105");
        Assert.Equal("terminated", after.State);
        Assert.Equal("2026-06-30", values["termination_date"].Value);
        Assert.Equal("hris", values["termination_date"].System);
    }
}
