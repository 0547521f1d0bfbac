using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Handoff.Connectors.Webhook;
using Handoff.Core.Workflows;
using Handoff.Data.Security;
using Handoff.Data.Tests;
using Handoff.FaultTests.Support;
using Handoff.Server;
using Handoff.Server.Cli;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Handoff.FaultTests.Hostile;

/// <summary>
/// A seeded corpus of hostile inputs through the entry points, with good records mixed in: SCIM JSON
/// (wrong types, deep nesting, huge strings, invalid filters, bad PATCH paths, /Bulk with reference
/// cycles and junk operations, /Groups with unknown members) and webhook deliveries
/// with bad, missing or expired signatures through the app in process, and workflow YAML (unknown keys,
/// alias bombs, template injection) through the loader <c>handoff workflow validate</c> uses. Asserts:
/// no exception escapes, no HTTP 500, every rejection names its place, every good record is processed.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private const string Hr = "urn:handoff:params:scim:schemas:extension:hr:2.0:User";

    private static JsonObject User(string userName, string given, string family, string externalId) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User", Enterprise, Hr),
        ["userName"] = userName,
        ["externalId"] = externalId,
        ["name"] = new JsonObject { ["givenName"] = given, ["familyName"] = family },
        ["emails"] = new JsonArray(new JsonObject { ["type"] = "work", ["value"] = userName, ["primary"] = true }),
        ["title"] = "Engineer",
        ["active"] = true,
        [Enterprise] = new JsonObject { ["department"] = "Engineering", ["costCenter"] = "CC-100" },
        [Hr] = new JsonObject { ["hireDate"] = "2027-01-04", ["workerType"] = "employee" },
    };

    /// <summary>Strings an attacker or a broken export sends: RFC 4514 specials, NUL, control
    /// characters, non-ASCII, formula and template injection, huge values.</summary>
    private static string Nasty(Random r) => r.Next(12) switch
    {
        0 => "=cmd|' /C calc'!A0",
        1 => "{{ person.national_id }}",
        2 => "Ann, \"O'Brien\" + <Ltd>; #1 \\ =x",
        3 => "nul\0byte",
        4 => new string('x', r.Next(10_000, 300_000)),
        5 => "Zoë Ångström Łódź 北京 🚀",
        6 => "\u202e\u200b\ufeff" + r.Next(),
        7 => " leading and trailing ",
        8 => "a\r\nb\tc",
        9 => "\ud800",
        10 => "%00%0a${jndi:ldap://127.0.0.1/x}",
        _ => "",
    };

    private static JsonNode WrongType(Random r) => r.Next(6) switch
    {
        0 => JsonValue.Create(r.Next())!,
        1 => JsonValue.Create(true)!,
        2 => new JsonArray(1, "two", null),
        3 => new JsonObject { ["nested"] = new JsonObject { ["deeper"] = 1 } },
        4 => JsonValue.Create(double.MaxValue)!,
        _ => JsonValue.Create(NastyText(r))!,
    };

    private static string Deep(int depth, bool arrays) =>
        arrays ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private static readonly string[] Attributes = ["userName", "externalId", "name", "emails", "active", "title", Enterprise, Hr, "schemas", "phoneNumbers"];

    private static string HostileUser(Random r, int i)
    {
        switch (r.Next(8))
        {
            case 0:
                return Deep(r.Next(64, 5_000), r.Next(2) == 0);
            case 1:
                return "{\"userName\": \"" + Nasty(r).Replace("\"", "", StringComparison.Ordinal) + "\""; // cut off
            case 2:
                return "\"just a string\"";
            default:
                var user = User($"hostile{i}@acme.example", "Hos", "Tile", $"h{i}");
                var attribute = Attributes[r.Next(Attributes.Length)];
                user[attribute] = r.Next(3) == 0 ? JsonValue.Create(NastyText(r)) : WrongType(r);
                if (r.Next(3) == 0 && user["name"] is JsonObject name)
                    name["givenName"] = WrongType(r);
                return user.ToJsonString();
        }
    }

    private static string HostileFilter(Random r) => r.Next(10) switch
    {
        0 => "userName eq",
        1 => "userName eq \"" + new string('a', r.Next(1000, 100_000)) + "\"",
        2 => string.Concat(Enumerable.Repeat("(", r.Next(50, 3000))) + "userName eq \"x\"" + string.Concat(Enumerable.Repeat(")", r.Next(50, 3000))),
        3 => "emails[type eq \"work\" and value co \"@\"",
        4 => "unknownAttr gt 5",
        5 => "userName eq \"a\" or " + string.Join(" or ", Enumerable.Range(0, r.Next(10, 2000)).Select(n => $"userName eq \"{n}\"")),
        6 => "meta.lastModified gt \"not a date\"",
        7 => "name.givenName sw \"\0\"",
        8 => "not (userName pr",
        _ => Nasty(r),
    };

    private static string HostilePatch(Random r) => r.Next(6) switch
    {
        0 => """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq ","value":"x"}]}""",
        1 => """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"explode","path":"title","value":"x"}]}""",
        2 => """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nosuch.attribute.deep","value":1}]}""",
        3 => """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":"not an array"}""",
        4 => new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:PatchOp"),
            ["Operations"] = new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = NastyText(r), ["value"] = WrongType(r) }),
        }.ToJsonString(),
        _ => new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:PatchOp"),
            ["Operations"] = new JsonArray(new JsonObject { ["op"] = "replace", ["value"] = new JsonObject { ["active"] = WrongType(r), ["title"] = WrongType(r) } }),
        }.ToJsonString(),
    };

    private static JsonObject BulkOp(string method, string path, string? bulkId, JsonNode? data)
    {
        var op = new JsonObject { ["method"] = method, ["path"] = path };
        if (bulkId is not null)
            op["bulkId"] = bulkId;
        if (data is not null)
            op["data"] = data;
        return op;
    }

    private static string BulkOf(JsonNode? failOnErrors, params JsonNode?[] ops) => new JsonObject
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:BulkRequest"),
        ["failOnErrors"] = failOnErrors,
        ["Operations"] = new JsonArray(ops),
    }.ToJsonString();

    /// <summary>A nasty string that JSON can carry (a lone surrogate cannot be written as UTF-8 JSON at all;
    /// the raw-text cases send it).</summary>
    private static string NastyText(Random r) => Nasty(r).Replace("\ud800", "\\ud800", StringComparison.Ordinal);

    /// <summary>The JSON a hostile generator made, or (when it is not JSON at all) that text as a string value.</summary>
    private static JsonNode? ParseOrText(string json)
    {
        try
        {
            return JsonNode.Parse(json); // deeper than 64 levels: sent as a string instead (deep nesting has cases of its own)
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(json);
        }
    }

    private static JsonObject Group(string name, params string[] members) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Group"),
        ["displayName"] = name,
        ["members"] = new JsonArray([.. members.Select(m => (JsonNode)new JsonObject { ["value"] = m })]),
    };

    /// <summary>A /Bulk request an attacker or a broken client sends: reference cycles, unknown and
    /// duplicate bulkIds, wrong methods and paths, wrong types for failOnErrors, operations that are not
    /// objects, hostile users and groups inside, a bulk inside a bulk.</summary>
    private static string HostileBulk(Random r, int i)
    {
        // A lone surrogate cannot be written into JSON text at all; draw again when one lands in a node.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            try
            {
                return AnyHostileBulk(r, i);
            }
            catch (ArgumentException)
            {
            }
        }
        return BulkOf(null, BulkOp("POST", "/Groups", "a", Group("A", "bulkId:b")), BulkOp("POST", "/Groups", "b", Group("B", "bulkId:a")));
    }

    private static string AnyHostileBulk(Random r, int i) => r.Next(10) switch
    {
        0 => BulkOf(null, BulkOp("POST", "/Groups", "a", Group("A", "bulkId:b")), BulkOp("POST", "/Groups", "b", Group("B", "bulkId:a"))),
        1 => BulkOf(null, BulkOp("PATCH", "/Users/bulkId:nowhere", null, new JsonObject { ["Operations"] = new JsonArray() })),
        2 => BulkOf(null, BulkOp("POST", "/Users", "same", ParseOrText(HostileUser(r, i))), BulkOp("POST", "/Users", "same", null)),
        3 => BulkOf(WrongType(r), BulkOp(NastyText(r), NastyText(r), NastyText(r), WrongType(r))),
        4 => BulkOf(null, JsonValue.Create(NastyText(r)), null, new JsonArray(1, 2)),
        5 => BulkOf(null, BulkOp("POST", "/Bulk", "nested", JsonNode.Parse(BulkOf(null, BulkOp("DELETE", "/Users/x", null, null))))),
        6 => BulkOf(1, BulkOp("POST", "/Groups", "g", Group(NastyText(r), "bulkId:" + NastyText(r), Guid.NewGuid().ToString(), ""))),
        7 => BulkOf(null, [.. Enumerable.Range(0, r.Next(1, 40)).Select(n => (JsonNode)BulkOp(n % 2 == 0 ? "PUT" : "DELETE", "/Users/" + NastyText(r), null, WrongType(r)))]),
        8 => "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:BulkRequest\"],\"Operations\":" + Deep(r.Next(64, 3000), true) + "}",
        _ => BulkOf(null, BulkOp("POST", "/Users", "u", ParseOrText(HostileUser(r, i))), BulkOp("POST", "/Groups", "g", Group("G" + i, "bulkId:u"))),
    };

    private static string HostileGroup(Random r)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            try
            {
                return AnyHostileGroup(r);
            }
            catch (ArgumentException)
            {
            }
        }
        return "{\"displayName\": ";
    }

    private static string AnyHostileGroup(Random r) => r.Next(6) switch
    {
        0 => Group(NastyText(r)).ToJsonString(),
        1 => Group("G", NastyText(r), "bulkId:x", "").ToJsonString(),
        2 => new JsonObject { ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Group"), ["displayName"] = WrongType(r), ["members"] = WrongType(r) }.ToJsonString(),
        3 => Deep(r.Next(64, 3000), r.Next(2) == 0),
        4 => new JsonObject { ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Group"), ["displayName"] = "Many", ["members"] = new JsonArray([.. Enumerable.Range(0, r.Next(100, 3000)).Select(n => (JsonNode)new JsonObject { ["value"] = Guid.NewGuid().ToString() })]) }.ToJsonString(),
        _ => "{\"displayName\": ",
    };

    [Fact]
    public async Task A_hostile_corpus_gives_no_500_names_its_places_and_the_good_records_go_through()
    {
        var report = new Report(output, "hostile");
        var seed = FaultScale.Seed();
        var r = new Random(seed);
        report.Line($"seed {seed}");
        var secret = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        Environment.SetEnvironmentVariable("HANDOFF_HRIS_WEBHOOK_SECRET", secret);

        var spine = await DataSpine.StartAsync(TestDatabases.Sqlite);
        var runtime = new HandoffRuntime(spine.Database, spine.Clock, spine.Keys, spine.AuditKey);
        await using var app = ServeCommand.BuildApp(runtime, "http://127.0.0.1:0", b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.ClearProviders();
            b.Services.RemoveAll<IHostedService>();
        });
        await app.StartAsync();
        var client = app.GetTestClient();
        var token = (await runtime.Tokens.CreateAsync("hr-scim", [ApiTokens.ScimWrite], null, "test")).Token;
        var counts = new Dictionary<string, (int Inputs, int Rejected, int Good)>();
        var failures = new List<string>();

        void Count(string entry, bool rejected, bool good)
        {
            var c = counts.GetValueOrDefault(entry);
            counts[entry] = (c.Inputs + 1, c.Rejected + (rejected ? 1 : 0), c.Good + (good ? 1 : 0));
        }

        async Task<(HttpStatusCode Status, string Body)> Scim(HttpMethod method, string path, string? body)
        {
            using var request = new HttpRequestMessage(method, "/scim/v2" + path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
                request.Content = new StringContent(body, Encoding.UTF8, "application/scim+json");
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        void Check(string entry, string input, HttpStatusCode status, string body, bool mustSucceed)
        {
            var ok = (int)status < 400;
            if ((int)status >= 500)
                failures.Add($"{entry}: HTTP {(int)status} for {Shorten(input)}: {Shorten(body)}");
            else if (mustSucceed && !ok)
                failures.Add($"{entry}: the good record was refused ({(int)status}): {Shorten(body)}");
            else if (!ok && !body.Contains("\"detail\"", StringComparison.Ordinal) && entry.StartsWith("scim", StringComparison.Ordinal))
                failures.Add($"{entry}: a {(int)status} without a detail naming the place: {Shorten(body)}");
            Count(entry, !ok, mustSucceed && ok);
        }

        // SCIM: POST /Users, GET /Users?filter=, PATCH /Users/{id}; a good user every 10th input
        var created = new List<string>();
        var goodBulks = 0;
        var scimInputs = FaultScale.Pick(3_000, 12_000);
        for (var i = 0; i < scimInputs; i++)
        {
            if (i % 10 == 0)
            {
                var good = User($"good{i}.{seed}@acme.example", "Good", "Record" + i, (800_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToJsonString();
                var (s, b) = await Scim(HttpMethod.Post, "/Users", good);
                Check("scim POST /Users", good, s, b, mustSucceed: true);
                if (s == HttpStatusCode.Created)
                    created.Add(JsonNode.Parse(b)!["id"]!.ToString());
                continue;
            }
            if (i % 10 == 5)
            {
                // A good bulk: a user and a group that names it by its bulkId, all or nothing.
                var bulk = BulkOf(1, BulkOp("POST", "/Users", "u", User($"bulk{i}.{seed}@acme.example", "Bulk", "Record" + i, (600_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture))),
                    BulkOp("POST", "/Groups", "g", Group($"bulk-group-{i}-{seed}", "bulkId:u")));
                var (s, b) = await Scim(HttpMethod.Post, "/Bulk", bulk);
                var statuses = s == HttpStatusCode.OK ? JsonNode.Parse(b)!["Operations"]!.AsArray().Select(o => o!["status"]!.ToString()).ToList() : [];
                Check("scim POST /Bulk", bulk, s, b, mustSucceed: true);
                if (statuses is not ["201", "201"])
                    failures.Add($"scim POST /Bulk: the good bulk gave {(int)s} {string.Join(",", statuses)}: {Shorten(b)}");
                else
                    goodBulks++;
                continue;
            }
            switch (r.Next(5))
            {
                case 3:
                    var hostileBulk = HostileBulk(r, i);
                    var (s3, b3) = await Scim(HttpMethod.Post, "/Bulk", hostileBulk);
                    Check("scim POST /Bulk", hostileBulk, s3, b3, false);
                    // A bulk answers 200 with a status per operation: none of them may be a 500 either.
                    if (s3 == HttpStatusCode.OK && JsonNode.Parse(b3)!["Operations"] is JsonArray answered)
                    {
                        foreach (var op in answered)
                        {
                            var status = int.Parse(op!["status"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
                            if (status >= 500)
                                failures.Add($"scim POST /Bulk: an operation answered {status} for {Shorten(hostileBulk)}: {Shorten(op.ToJsonString())}");
                            else if (status >= 400 && op["response"]?["detail"] is null)
                                failures.Add($"scim POST /Bulk: an operation's {status} has no detail naming the place: {Shorten(op.ToJsonString())}");
                        }
                    }
                    break;
                case 4:
                    var group = HostileGroup(r);
                    var (s4, b4) = await Scim(HttpMethod.Post, "/Groups", group);
                    Check("scim POST /Groups", group, s4, b4, false);
                    break;
                case 0:
                    var user = HostileUser(r, i);
                    var (s0, b0) = await Scim(HttpMethod.Post, "/Users", user);
                    Check("scim POST /Users", user, s0, b0, false);
                    break;
                case 1:
                    var filter = HostileFilter(r);
                    var (s1, b1) = await Scim(HttpMethod.Get, "/Users?filter=" + Uri.EscapeDataString(filter), null);
                    Check("scim GET /Users?filter", filter, s1, b1, false);
                    break;
                default:
                    var patch = HostilePatch(r);
                    var id = created.Count > 0 ? created[r.Next(created.Count)] : Guid.NewGuid().ToString();
                    var (s2, b2) = await Scim(HttpMethod.Patch, "/Users/" + id, patch);
                    Check("scim PATCH /Users/{id}", patch, s2, b2, false);
                    break;
            }
        }

        // Webhooks: bad, missing, expired signatures; good signed deliveries mixed in
        var hookInputs = FaultScale.Pick(1_000, 3_000);
        var goodHooks = 0;
        for (var i = 0; i < hookInputs; i++)
        {
            var body = Encoding.UTF8.GetBytes($$"""{"records":[{"Employee_ID":"{{870_000 + i}}","Legal_First_Name":"Hook","Legal_Last_Name":"Good{{i}}","Employment_Begin_Date":"01/04/2027","Worker_Type":"Regular"}]}""");
            var now = spine.Clock.Now.ToUnixTimeSeconds();
            var kind = i % 10 == 0 ? 0 : 1 + r.Next(5);
            var ts = kind == 3 ? now - 3600 - r.Next(100_000) : now;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/hris") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            var junk = new string(Nasty(r).Where(c => c is >= ' ' and < '\u007f').Take(50).ToArray());
            if (kind != 4)
                request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, kind == 5 ? junk : ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var signature = kind switch
            {
                0 or 3 or 5 => WebhookSignature.Sign(secret, ts, $"fault-{seed}-{i}", body),
                1 => WebhookSignature.Sign(secret + "x", ts, $"fault-{seed}-{i}", body),
                2 => "sha256=" + new string('0', r.Next(0, 200)),
                _ => null,
            };
            if (signature is not null)
                request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, signature);
            request.Headers.TryAddWithoutValidation(WebhookSignature.IdempotencyHeader, $"fault-{seed}-{i}");
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (kind == 0)
                goodHooks++;
            Check("webhook /hooks/hris", $"kind {kind}", response.StatusCode, text, mustSucceed: kind == 0);
            if (kind != 0 && response.IsSuccessStatusCode)
                failures.Add($"webhook: a delivery with a bad signature (kind {kind}) was accepted");
        }

        // Workflow YAML through the loader of `handoff workflow validate`
        var yamlInputs = FaultScale.Pick(6_500, 20_000);
        for (var i = 0; i < yamlInputs; i++)
        {
            var good = i % 10 == 0;
            var yaml = good ? Wave.Joiner.Replace("id: joiner", $"id: joiner-{i}", StringComparison.Ordinal) : HostileYaml(r);
            WorkflowLoadResult result;
            try
            {
                result = WorkflowLoader.Load(yaml, $"hostile-{i}.yaml");
            }
            catch (Exception e)
            {
                failures.Add($"workflow yaml: {e.GetType().Name} escaped for {Shorten(yaml)}: {e.Message}");
                Count("workflow validate", true, false);
                continue;
            }
            if (good && !result.Succeeded)
                failures.Add("workflow yaml: the good workflow was refused: " + string.Join("; ", result.Errors));
            foreach (var error in result.Errors.Where(e => e.Line <= 0 || e.File != $"hostile-{i}.yaml"))
                failures.Add($"workflow yaml: an error without file:line: {error} for {Shorten(yaml)}");
            Count("workflow validate", !result.Succeeded, good && result.Succeeded);
        }

        var total = counts.Values.Sum(c => c.Inputs);
        foreach (var (entry, c) in counts.OrderBy(c => c.Key, StringComparer.Ordinal))
            report.Line($"{entry,-26} inputs {c.Inputs,6}  rejected {c.Rejected,6}  good processed {c.Good,5}");
        report.Line($"{total} inputs, {failures.Count} problems");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
        Assert.True(total >= 10_000, $"the corpus has only {total} inputs");
        Assert.Equal(scimInputs / 10, created.Count);
        Assert.Equal(scimInputs / 10, goodBulks);
        Assert.Equal(hookInputs / 10, goodHooks);
    }

    private static readonly string[] YamlShapes =
    [
        "id: x\ntrigger: { event: person.pre_hire }\nsteps: []\nsurprise: true\n",
        "id: x\ntrigger: { event: person.pre_hire }\nsteps:\n  - id: a\n    uses: directory.create_account\n    with: { username: '{{ {{ first_name }} }}' }\n",
        "id: x\ntrigger: { event: person.pre_hire }\nsteps:\n  - id: a\n    uses: set_field\n    with: { field: work_email, value: '{{ person.national_id | system: \"rm -rf\" }}' }\n",
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nid: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
        "id: &x x\ntrigger: *x\nsteps: *x\n",
        "id: x\ntrigger: { event: person.pre_hire }\nsteps: !!python/object/apply:os.system ['ls']\n",
        "{{{{{{{{",
        "id: x\n\0\ntrigger: [",
        "- - - - - - - - - - - - - - - - - - - - - - - - - -\n",
        "id: x\ntrigger: { event: 42 }\nsteps: { not: a list }\n",
        "id: x\ntrigger: { event: person.pre_hire }\npermissions: { write: { directory: [account.delete_everything] } }\nsteps:\n  - id: a\n    uses: directory.nuke\n",
        "\ufeff\u202eid: x\ntrigger: { cron: '* * * * * * *' }\nsteps:\n  - id: a\n    uses: wait\n    with: { duration: -99999999d }\n",
    ];

    private static string HostileYaml(Random r)
    {
        var shape = YamlShapes[r.Next(YamlShapes.Length)];
        return r.Next(4) switch
        {
            0 => shape,
            1 => shape.Replace("x", Nasty(r).Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal),
            2 => new string('[', r.Next(10, 3000)),
            _ => shape[..r.Next(shape.Length)],
        };
    }

    private static string Shorten(string s) => s.Length <= 160 ? s : s[..160] + $"… ({s.Length} chars)";
}
