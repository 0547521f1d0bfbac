using System.Net;
using System.Text.Json.Nodes;
using Handoff.Data.Tests;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Server.Tests.Scim;

/// <summary>Users end to end: a SCIM write is an hr-scim source record (person, provenance, events),
/// GET returns what was written, PUT/PATCH/DELETE with ETags, the SCIM errors, and what real clients send.</summary>
public sealed class ScimUserTests
{
    private const string Hr = "urn:handoff:params:scim:schemas:extension:hr:2.0:User";
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_posted_user_becomes_a_canonical_person_with_provenance_and_reads_back_as_written(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider);
        var created = await host.PostAsync("/Users", ScimHost.User("ada.lovelace@acme.example", "Ada", "Lovelace", externalId: "930001"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("application/scim+json", created.Response.Content.Headers.ContentType!.MediaType);
        var id = created.Json["id"]!.ToString();
        Assert.Equal($"http://localhost/scim/v2/Users/{id}", created.Header("Location"));
        Assert.Equal("W/\"1\"", created.Header("ETag"));
        Assert.Equal("W/\"1\"", created.Json["meta"]!["version"]!.ToString());
        Assert.Equal("User", created.Json["meta"]!["resourceType"]!.ToString());

        var read = await host.GetAsync($"/Users/{id}");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal("ada.lovelace@acme.example", read.Json["userName"]!.ToString());
        Assert.Equal("Ada", read.Json["name"]!["givenName"]!.ToString());
        Assert.Equal("Engineering", read.Json[Enterprise]!["department"]!.ToString());
        Assert.Equal("2027-01-04", read.Json[Hr]!["hireDate"]!.ToString());
        Assert.Equal(2, read.Json["emails"]!.AsArray().Count);
        Assert.Contains(Hr, read.Json["schemas"]!.AsArray().Select(s => s!.ToString()));

        // The canonical person, each value with its provenance: system hr-scim, native key = the SCIM id.
        var (person, values) = await host.Spine.PersonByKeyAsync("employee_id", "930001");
        Assert.Equal("pre_hire", person.State);
        Assert.Equal("Ada", values["first_name"].Value);
        Assert.Equal("hr-scim", values["first_name"].System);
        Assert.Equal(id, values["first_name"].NativeKey);
        Assert.Equal("ada.lovelace@acme.example", values["work_email"].Value);
        Assert.Equal("2027-01-04", values["start_date"].Value);
        Assert.Equal("Engineering", values["department"].Value);
        Assert.Equal("CC-100", values["cost_center"].Value);
        Assert.Equal("100001", values["manager_id"].Value);
        Assert.Equal("employee", values["worker_type"].Value);
        Assert.Contains("person.pre_hire", await host.Spine.EventTypesAsync(person.Id));
        await using (var db = host.Spine.Db())
        {
            var link = await db.SourceRecords.SingleAsync(s => s.System == "hr-scim");
            Assert.Equal(id, link.NativeKey);
            Assert.Equal(person.Id, link.PersonId);
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "sync.completed" && a.System == "hr-scim"));
            Assert.False(await db.ScimResources.AnyAsync(r => r.SyncPending));
        }

        // A change through PATCH changes the person (the mover case), with its event.
        var patched = await host.PatchAsync($"/Users/{id}", new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:PatchOp"),
            ["Operations"] = new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = $"{Enterprise}:department", ["value"] = "Research" }),
        });
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("Research", patched.Json[Enterprise]!["department"]!.ToString());
        Assert.Equal("W/\"2\"", patched.Header("ETag"));
        (person, values) = await host.Spine.PersonByKeyAsync("employee_id", "930001");
        Assert.Equal("Research", values["department"].Value);
        Assert.Contains("person.changed", await host.Spine.EventTypesAsync(person.Id));
    }

    [Fact]
    public async Task A_user_with_the_employee_id_of_an_hris_worker_joins_that_person_and_the_hris_stays_the_source_of_record()
    {
        await using var host = await ScimHost.StartAsync(TestDatabases.Sqlite, ingestHris: true);
        var (before, hrisValues) = await host.Spine.PersonByKeyAsync("employee_id", "100131");
        var created = await host.PostAsync("/Users", ScimHost.User("someone@acme.example", "Someone", "Else", externalId: "100131", department: "Nowhere"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var (after, values) = await host.Spine.PersonByKeyAsync("employee_id", "100131");
        Assert.Equal(before.Id, after.Id);
        // Department: priority [hris, hr-scim, ats] — the HRIS value wins, the difference is a finding.
        Assert.Equal(hrisValues["department"].Value, values["department"].Value);
        Assert.Equal("hris", values["department"].System);
        await using var db = host.Spine.Db();
        Assert.Equal(after.Id, (await db.SourceRecords.SingleAsync(s => s.System == "hr-scim")).PersonId);
        Assert.True(await db.Findings.AnyAsync(f => f.PersonId == after.Id && f.Field == "department"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Put_and_patch_need_the_current_etag_when_if_match_is_sent(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider);
        var created = await host.PostAsync("/Users", ScimHost.User("grace@acme.example", "Grace", "Hopper", externalId: "930002"));
        var id = created.Json["id"]!.ToString();

        var notModified = await host.SendAsync(HttpMethod.Get, $"/Users/{id}", configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "W/\"1\""));
        Assert.Equal(HttpStatusCode.NotModified, notModified.Status);

        var replacement = ScimHost.User("grace@acme.example", "Grace", "Hopper", externalId: "930002", department: "Navy");
        var stale = await host.SendAsync(HttpMethod.Put, $"/Users/{id}", replacement, configure: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"7\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal("412", stale.Json["status"]!.ToString());
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", stale.Json["schemas"]![0]!.ToString());

        var put = await host.SendAsync(HttpMethod.Put, $"/Users/{id}", replacement, configure: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal("W/\"2\"", put.Header("ETag"));
        Assert.Equal("Navy", put.Json[Enterprise]!["department"]!.ToString());

        var stalePatch = await host.SendAsync(HttpMethod.Patch, $"/Users/{id}",
            new JsonObject { ["Operations"] = new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "title", ["value"] = "Admiral" }) },
            configure: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stalePatch.Status);
        var staleDelete = await host.SendAsync(HttpMethod.Delete, $"/Users/{id}", configure: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, staleDelete.Status);
        Assert.Equal("Engineer", (await host.GetAsync($"/Users/{id}")).Json["title"]!.ToString());

        // PUT replaces: what the body leaves out is gone, in the resource and in the person.
        var without = ScimHost.User("grace@acme.example", "Grace", "Hopper", externalId: "930002", department: "Navy");
        without[Enterprise]!.AsObject().Remove("costCenter");
        var put2 = await host.SendAsync(HttpMethod.Put, $"/Users/{id}", without, configure: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"2\""));
        Assert.Equal(HttpStatusCode.OK, put2.Status);
        Assert.Null(put2.Json[Enterprise]!["costCenter"]);
        var (_, values) = await host.Spine.PersonByKeyAsync("employee_id", "930002");
        Assert.False(values.ContainsKey("cost_center"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Delete_terminates_the_person_hides_the_resource_and_frees_the_user_name(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider);
        var created = await host.PostAsync("/Users", ScimHost.User("leaver@acme.example", "Lea", "Ver", externalId: "930003", hireDate: "2020-01-06"));
        var id = created.Json["id"]!.ToString();
        var (person, _) = await host.Spine.PersonByKeyAsync("employee_id", "930003");
        Assert.Equal("active", person.State);

        var deleted = await host.SendAsync(HttpMethod.Delete, $"/Users/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        var gone = await host.GetAsync($"/Users/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal("404", gone.Json["status"]!.ToString());
        Assert.Equal(0, (await host.GetAsync("/Users?filter=" + Uri.EscapeDataString("userName eq \"leaver@acme.example\""))).Json["totalResults"]!.GetValue<int>());

        // Never a silent hard delete: the same person, terminated as of today, with the event.
        var (after, values) = await host.Spine.PersonByKeyAsync("employee_id", "930003");
        Assert.Equal(person.Id, after.Id);
        Assert.Equal("terminated", after.State);
        Assert.Equal("2026-11-27", values["termination_date"].Value);
        Assert.Contains("person.terminated", await host.Spine.EventTypesAsync(after.Id));
        await using (var db = host.Spine.Db())
            Assert.NotNull((await db.ScimResources.SingleAsync(r => r.Id == Guid.Parse(id))).DeletedAt);

        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Delete, $"/Users/{id}")).Status);
        var again = await host.PostAsync("/Users", ScimHost.User("leaver@acme.example", "Lea", "Ver", externalId: "930033"));
        Assert.Equal(HttpStatusCode.Created, again.Status);
        Assert.NotEqual(id, again.Json["id"]!.ToString());
    }

    [Fact]
    public async Task Every_error_is_a_scim_error_body_with_its_status_and_type()
    {
        await using var host = await ScimHost.StartAsync(TestDatabases.Sqlite);
        var first = await host.PostAsync("/Users", ScimHost.User("dup@acme.example", "Du", "Plicate", externalId: "930004"));
        Assert.Equal(HttpStatusCode.Created, first.Status);

        async Task Expect(ScimHost.Answer answer, HttpStatusCode status, string? scimType, string? detailContains = null)
        {
            Assert.Equal(status, answer.Status);
            Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", answer.Json["schemas"]![0]!.ToString());
            Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), answer.Json["status"]!.GetValue<string>());
            Assert.Equal(scimType, answer.Json["scimType"]?.ToString());
            if (detailContains is not null)
                Assert.Contains(detailContains, answer.Json["detail"]!.ToString());
            await Task.CompletedTask;
        }

        // 409 uniqueness: userName is case-insensitive.
        await Expect(await host.PostAsync("/Users", ScimHost.User("DUP@acme.example", "Du", "Plicate")), HttpStatusCode.Conflict, "uniqueness", "DUP@acme.example");
        // 400 invalidSyntax: not JSON, not an object.
        await Expect(await host.SendAsync(HttpMethod.Post, "/Users", "{\"userName\": "), HttpStatusCode.BadRequest, "invalidSyntax");
        await Expect(await host.SendAsync(HttpMethod.Post, "/Users", "[1,2]"), HttpStatusCode.BadRequest, "invalidSyntax");
        // 400 invalidValue: required attribute, wrong type, and a value the dictionary cannot convert — naming the attribute.
        var noName = ScimHost.User("x@acme.example", "X", "Y");
        noName.Remove("userName");
        await Expect(await host.PostAsync("/Users", noName), HttpStatusCode.BadRequest, "invalidValue", "userName");
        var badActive = ScimHost.User("y@acme.example", "Y", "Z");
        badActive["active"] = "maybe";
        await Expect(await host.PostAsync("/Users", badActive), HttpStatusCode.BadRequest, "invalidValue", "\"active\"");
        await Expect(await host.PostAsync("/Users", ScimHost.User("z@acme.example", "Zed", "Zulu", externalId: "930005", hireDate: "2027-13-45")),
            HttpStatusCode.BadRequest, "invalidValue", "urn:handoff:params:scim:schemas:extension:hr:2.0:User:hireDate");
        var noGiven = ScimHost.User("w@acme.example", "W", "V");
        noGiven["name"]!.AsObject().Remove("givenName");
        await Expect(await host.PostAsync("/Users", noGiven), HttpStatusCode.BadRequest, "invalidValue", "name.givenName");
        // 400 invalidFilter.
        await Expect(await host.GetAsync("/Users?filter=" + Uri.EscapeDataString("userName eq")), HttpStatusCode.BadRequest, "invalidFilter");
        await Expect(await host.GetAsync("/Users?filter=" + Uri.EscapeDataString("shoeSize gt 4")), HttpStatusCode.BadRequest, "invalidFilter", "shoeSize");
        await Expect(await host.GetAsync("/Users?filter=" + Uri.EscapeDataString("active gt true")), HttpStatusCode.BadRequest, "invalidFilter", "active");
        // 404.
        await Expect(await host.GetAsync($"/Users/{Guid.NewGuid()}"), HttpStatusCode.NotFound, null);
        await Expect(await host.GetAsync("/Users/not-a-guid"), HttpStatusCode.NotFound, null);
        await Expect(await host.PatchAsync($"/Users/{Guid.NewGuid()}", new JsonObject { ["Operations"] = new JsonArray() }), HttpStatusCode.NotFound, null);
        // 400 mutability: id cannot change.
        var id = first.Json["id"]!.ToString();
        var otherId = ScimHost.User("dup@acme.example", "Du", "Plicate", externalId: "930004");
        otherId["id"] = Guid.NewGuid().ToString();
        await Expect(await host.SendAsync(HttpMethod.Put, $"/Users/{id}", otherId), HttpStatusCode.BadRequest, "mutability", "id");
        // 412 is in Put_and_patch_need_the_current_etag_when_if_match_is_sent; PATCH's noTarget / invalidPath in the patch test.

        // The refused hire date was quarantined with its field, like a bad CSV row; nothing was stored for it.
        await using var db = host.Spine.Db();
        var quarantined = await db.Quarantine.Where(q => q.System == "hr-scim").ToListAsync();
        Assert.Contains(quarantined, q => q.Field == "urn:handoff:params:scim:schemas:extension:hr:2.0:User:hireDate");
        Assert.Equal(1, await db.ScimResources.CountAsync());
        Assert.Equal(1, await db.SourceRecords.CountAsync(s => s.System == "hr-scim"));
    }

    [Theory, MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Patch_adds_replaces_and_removes_with_paths_value_filters_and_no_path(string provider)
    {
        await using var host = await ScimHost.StartAsync(provider);
        var created = await host.PostAsync("/Users", ScimHost.User("katherine@acme.example", "Katherine", "Johnson", externalId: "930006"));
        var id = created.Json["id"]!.ToString();

        JsonObject Patch(params JsonObject[] ops) => new()
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:PatchOp"),
            ["Operations"] = new JsonArray([.. ops]),
        };

        var answer = await host.PatchAsync($"/Users/{id}", Patch(
            new JsonObject { ["op"] = "replace", ["path"] = "emails[type eq \"work\"].value", ["value"] = "kj@acme.example" },
            new JsonObject { ["op"] = "add", ["path"] = "phoneNumbers", ["value"] = new JsonArray(new JsonObject { ["type"] = "mobile", ["value"] = "+1 555 0100" }) },
            new JsonObject { ["op"] = "add", ["path"] = "name.middleName", ["value"] = "Coleman" },
            new JsonObject { ["op"] = "remove", ["path"] = "emails[type eq \"home\"]" },
            new JsonObject { ["op"] = "replace", ["path"] = $"{Hr}:workerType", ["value"] = "contractor" }));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var emails = answer.Json["emails"]!.AsArray();
        Assert.Equal("kj@acme.example", Assert.Single(emails)!["value"]!.ToString());
        Assert.Equal("+1 555 0100", answer.Json["phoneNumbers"]![0]!["value"]!.ToString());
        Assert.Equal("Coleman", answer.Json["name"]!["middleName"]!.ToString());
        Assert.Equal("Katherine", answer.Json["name"]!["givenName"]!.ToString());
        var (_, values) = await host.Spine.PersonByKeyAsync("employee_id", "930006");
        Assert.Equal("kj@acme.example", values["work_email"].Value);
        Assert.Equal("contractor", values["worker_type"].Value);

        // Entra's shape: "Replace", no path, a value object with paths and a "False" string for a boolean;
        // remove of an attribute, and of a sub-attribute.
        answer = await host.PatchAsync($"/Users/{id}", new JsonObject
        {
            ["Operations"] = new JsonArray(
                new JsonObject { ["op"] = "Replace", ["value"] = new JsonObject { ["active"] = "False", ["name.familyName"] = "Goble", [$"{Enterprise}:department"] = "Flight Research" } },
                new JsonObject { ["op"] = "Remove", ["path"] = "title" },
                new JsonObject { ["op"] = "remove", ["path"] = "name.middleName" }),
        });
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.False(answer.Json["active"]!.GetValue<bool>());
        Assert.Equal("Goble", answer.Json["name"]!["familyName"]!.ToString());
        Assert.Null(answer.Json["name"]!["middleName"]);
        Assert.Null(answer.Json["title"]);
        Assert.Equal("Flight Research", answer.Json[Enterprise]!["department"]!.ToString());
        (_, values) = await host.Spine.PersonByKeyAsync("employee_id", "930006");
        Assert.Equal("Goble", values["last_name"].Value);
        Assert.False(values.ContainsKey("job_title"));

        // A replace of the work email of a user without one adds it (what Entra expects).
        answer = await host.PatchAsync($"/Users/{id}", Patch(
            new JsonObject { ["op"] = "remove", ["path"] = "emails[type eq \"work\"]" },
            new JsonObject { ["op"] = "replace", ["path"] = "emails[type eq \"work\"].value", ["value"] = "katherine.j@acme.example" }));
        Assert.Equal("katherine.j@acme.example", answer.Json["emails"]![0]!["value"]!.ToString());
        Assert.Equal("work", answer.Json["emails"]![0]!["type"]!.ToString());

        async Task Refused(JsonObject op, string scimType)
        {
            var refused = await host.PatchAsync($"/Users/{id}", Patch(op));
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Equal(scimType, refused.Json["scimType"]!.ToString());
        }
        await Refused(new JsonObject { ["op"] = "remove", ["path"] = "emails[type eq \"pager\"]" }, "noTarget");
        await Refused(new JsonObject { ["op"] = "remove" }, "noTarget");
        await Refused(new JsonObject { ["op"] = "replace", ["path"] = "id", ["value"] = "x" }, "mutability");
        await Refused(new JsonObject { ["op"] = "replace", ["path"] = "meta.created", ["value"] = "2020-01-01T00:00:00Z" }, "mutability");
        await Refused(new JsonObject { ["op"] = "replace", ["path"] = "shoeSize", ["value"] = "9" }, "invalidPath");
        await Refused(new JsonObject { ["op"] = "replace", ["path"] = "emails[type eq ]", ["value"] = "9" }, "invalidPath");
        await Refused(new JsonObject { ["op"] = "frobnicate", ["path"] = "title", ["value"] = "x" }, "invalidSyntax");
        await Refused(new JsonObject { ["op"] = "replace", ["path"] = "active", ["value"] = "perhaps" }, "invalidValue");
        await Refused(new JsonObject { ["op"] = "replace", ["path"] = $"{Hr}:hireDate", ["value"] = "someday" }, "invalidValue");
        Assert.Equal("katherine.j@acme.example", (await host.GetAsync($"/Users/{id}")).Json["emails"]![0]!["value"]!.ToString());
    }

    [Fact]
    public async Task A_system_binding_a_sensitive_field_stores_its_resources_encrypted()
    {
        // Acme's workspace with hr-scim also carrying the national id (classified sensitive) as employeeNumber.
        var dir = Path.Combine(Path.GetTempPath(), "handoff-tests", "scim-ws-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(Repository.AcmeWorkspace, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(Repository.AcmeWorkspace, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var dictionary = Path.Combine(dir, "dictionary.yaml");
        File.WriteAllText(dictionary, File.ReadAllText(dictionary).Replace(
            "    system_of_record: hris\n    bindings:\n      hris: { field: National_ID }",
            $"    system_of_record: hris\n    writers: [hr-scim]\n    bindings:\n      hris: {{ field: National_ID }}\n      hr-scim: {{ field: '{Enterprise}:employeeNumber' }}",
            StringComparison.Ordinal));
        await using var host = await ScimHost.StartAsync(TestDatabases.Sqlite, workspaceDir: dir);
        var user = ScimHost.User("secret@acme.example", "Sec", "Ret", externalId: "930009");
        user[Enterprise]!["employeeNumber"] = "123-45-6789";
        var created = await host.PostAsync("/Users", user);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Json["id"]!.ToString();

        await using (var db = host.Spine.Db())
        {
            var stored = await db.ScimResources.SingleAsync(r => r.Id == Guid.Parse(id));
            Assert.StartsWith("enc:", stored.Json, StringComparison.Ordinal);
            Assert.DoesNotContain("123-45-6789", stored.Json, StringComparison.Ordinal);
            Assert.DoesNotContain("secret@acme.example", stored.Json, StringComparison.Ordinal);
        }
        Assert.Equal("123-45-6789", (await host.GetAsync($"/Users/{id}")).Json[Enterprise]!["employeeNumber"]!.ToString());
        var found = await host.GetAsync("/Users?filter=" + Uri.EscapeDataString($"{Enterprise}:employeeNumber eq \"123-45-6789\""));
        Assert.Equal(1, found.Json["totalResults"]!.GetValue<int>());
        var (_, values) = await host.Spine.PersonByKeyAsync("employee_id", "930009");
        Assert.Equal("123-45-6789", values["national_id"].Value);
        Assert.Equal("hr-scim", values["national_id"].System);
    }

    [Fact]
    public async Task What_real_clients_send_is_understood()
    {
        await using var host = await ScimHost.StartAsync(TestDatabases.Sqlite);
        // Attribute names in any case, "Primary", "True" as a string, a work type spelled "Work",
        // an extension URN in another case, a number for a string, application/json, no schemas.
        const string body = """
            {
              "USERNAME": "Mary.Jackson@acme.example",
              "ExternalID": "930007",
              "Name": { "GivenName": "Mary", "FamilyName": "Jackson" },
              "Emails": [ { "Type": "Work", "Value": "mary.jackson@acme.example", "Primary": "True" } ],
              "Active": "True",
              "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": { "Department": "Engineering", "EmployeeNumber": 930007 },
              "urn:handoff:params:scim:schemas:extension:hr:2.0:User:hireDate": "2027-02-01",
              "password": "never-stored",
              "shoeSize": 9
            }
            """;
        var created = await host.SendAsync(HttpMethod.Post, "/Users", body, contentType: "application/json");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var user = created.Json;
        Assert.Equal("Mary.Jackson@acme.example", user["userName"]!.ToString());
        Assert.Equal("Mary", user["name"]!["givenName"]!.ToString());
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.True(user["emails"]![0]!["primary"]!.GetValue<bool>());
        Assert.Equal("work", user["emails"]![0]!["type"]!.ToString());
        Assert.Equal("930007", user[Enterprise]!["employeeNumber"]!.ToString());
        Assert.Equal("2027-02-01", user[Hr]!["hireDate"]!.ToString());
        Assert.Null(user["password"]);
        Assert.Null(user["shoeSize"]);

        var (_, values) = await host.Spine.PersonByKeyAsync("employee_id", "930007");
        Assert.Equal("mary.jackson@acme.example", values["work_email"].Value);
        Assert.Equal("Engineering", values["department"].Value);
        Assert.Equal("2027-02-01", values["start_date"].Value);

        // Case-insensitive filter attribute and value for userName; "OPERATIONS"/"OP" spelled in capitals.
        var found = await host.GetAsync("/Users?filter=" + Uri.EscapeDataString("USERNAME eq \"mary.jackson@ACME.example\""));
        Assert.Equal(1, found.Json["totalResults"]!.GetValue<int>());
        var patched = await host.SendAsync(HttpMethod.Patch, $"/Users/{user["id"]}",
            """{"OPERATIONS":[{"OP":"Add","PATH":"emails[Type eq \"work\"].Primary","VALUE":"False"}]}""", contentType: "application/json");
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.False(patched.Json["emails"]![0]!["primary"]!.GetValue<bool>());
    }
}
