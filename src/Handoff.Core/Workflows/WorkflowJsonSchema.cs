using System.Text.Json;
using System.Text.Json.Nodes;

namespace Handoff.Core.Workflows;

/// <summary>
/// The JSON Schema (draft 2020-12) of workflow YAML, generated from the step catalogue so editors
/// (VS Code's YAML extension, the web editor) validate and complete step types and their inputs.
/// The committed copy is <c>schemas/workflow.schema.json</c>; a test keeps it current.
/// </summary>
public static class WorkflowJsonSchema
{
    public static string Generate()
    {
        var stepTypes = new JsonArray(StepCatalog.Steps.Select(s => (JsonNode)JsonValue.Create(s.Type)!).ToArray());
        var conditional = new JsonArray();
        foreach (var step in StepCatalog.Steps)
        {
            var props = new JsonObject();
            foreach (var input in step.Inputs)
                props[input.Name] = Input(input);
            var required = new JsonArray(step.Inputs.Where(i => i.Required).Select(i => (JsonNode)JsonValue.Create(i.Name)!).ToArray());
            var with = new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = props };
            if (required.Count > 0)
                with["required"] = required;
            conditional.Add(new JsonObject
            {
                ["if"] = new JsonObject { ["properties"] = new JsonObject { ["uses"] = new JsonObject { ["const"] = step.Type } } },
                ["then"] = new JsonObject
                {
                    ["description"] = $"{step.Title}. {step.Description}".Trim(),
                    ["properties"] = new JsonObject { ["with"] = with },
                    ["required"] = required.Count > 0 ? new JsonArray("with") : new JsonArray(),
                },
            });
        }
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://handoff.dev/schemas/workflow.schema.json",
            ["title"] = "Handoff workflow",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("id", "trigger", "steps"),
            ["properties"] = new JsonObject
            {
                ["id"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z][a-z0-9_-]*$" },
                ["name"] = new JsonObject { ["type"] = "string" },
                ["description"] = new JsonObject { ["type"] = "string" },
                ["owners"] = new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["properties"] = new JsonObject { ["hr"] = Str(), ["it"] = Str() },
                },
                ["trigger"] = Trigger(),
                ["scope"] = new JsonObject { ["type"] = "string", ["description"] = "SCIM filter (RFC 7644 §3.4.2.2) over canonical fields" },
                ["permissions"] = new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["properties"] = new JsonObject
                    {
                        ["read"] = new JsonObject { ["type"] = "array", ["items"] = Str() },
                        ["write"] = new JsonObject
                        {
                            ["type"] = "object",
                            ["description"] = "system id (or canonical) → operations",
                            ["additionalProperties"] = new JsonObject { ["type"] = "array", ["items"] = Str() },
                        },
                    },
                },
                ["steps"] = new JsonObject
                {
                    ["type"] = "array",
                    ["minItems"] = 1,
                    ["items"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["additionalProperties"] = false,
                        ["required"] = new JsonArray("id", "uses"),
                        ["properties"] = new JsonObject
                        {
                            ["id"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z][a-z0-9_-]*$" },
                            ["uses"] = new JsonObject { ["enum"] = stepTypes },
                            ["name"] = Str(),
                            ["target"] = Str(),
                            ["when"] = new JsonObject { ["type"] = "string", ["description"] = "SCIM filter; the step is skipped when false" },
                            ["continue_on_error"] = new JsonObject { ["type"] = "boolean" },
                            ["with"] = new JsonObject { ["type"] = "object" },
                            ["retry"] = new JsonObject
                            {
                                ["type"] = "object",
                                ["additionalProperties"] = false,
                                ["properties"] = new JsonObject
                                {
                                    ["attempts"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 20 },
                                    ["delay"] = Duration(),
                                },
                            },
                        },
                        ["allOf"] = conditional,
                    },
                },
            },
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Str() => new() { ["type"] = "string" };

    private static JsonObject Duration() => new() { ["type"] = "string", ["pattern"] = "^[+-]?\\d{1,6}(ms|s|m|h|d|w)$" };

    private static JsonObject Input(StepInput input)
    {
        JsonObject node = input.Kind switch
        {
            InputKind.Bool => new JsonObject { ["type"] = new JsonArray("boolean", "string") },
            InputKind.List => new JsonObject { ["type"] = "array", ["items"] = Str() },
            InputKind.Map => new JsonObject { ["type"] = "object", ["additionalProperties"] = Str() },
            InputKind.Duration => Duration(),
            InputKind.Role => new JsonObject { ["enum"] = new JsonArray(Roles.All.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()) },
            _ => Str(),
        };
        if (input.Description.Length > 0)
            node["description"] = input.Description;
        if (input.Default is not null)
            node["default"] = input.Default;
        return node;
    }

    private static JsonObject Trigger() => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["description"] = "exactly one of event, date, schedule, manual",
        ["properties"] = new JsonObject
        {
            ["event"] = new JsonObject { ["enum"] = new JsonArray(WorkflowLoader.EventTypes.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()) },
            ["fields"] = new JsonObject { ["type"] = "array", ["items"] = Str() },
            ["date"] = new JsonObject { ["type"] = "string", ["description"] = "a date field of the dictionary" },
            ["offset"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[+-]?\\d{1,3}d$" },
            ["at"] = new JsonObject { ["type"] = "string", ["pattern"] = "^\\d{1,2}:\\d{2}$" },
            ["schedule"] = new JsonObject { ["type"] = "string", ["description"] = "cron expression" },
            ["time_zone"] = Str(),
            ["manual"] = new JsonObject { ["const"] = true },
        },
        ["oneOf"] = new JsonArray(
            new JsonObject { ["required"] = new JsonArray("event") },
            new JsonObject { ["required"] = new JsonArray("date") },
            new JsonObject { ["required"] = new JsonArray("schedule") },
            new JsonObject { ["required"] = new JsonArray("manual") }),
    };
}
