using System.Text.Json;

namespace Handoff.Core.Tests.Templates;

public class JsonFilterTests
{
    [Fact]
    public void Json_filter_makes_any_value_safe_inside_a_json_body()
    {
        var t = Handoff.Core.Templates.HandoffTemplate.Parse("{\"name\": {{ name | json }}, \"start\": {{ start | json }}}");
        var text = t.Render(new Dictionary<string, object?> { ["name"] = "Zoë \"Z\" O'Brien}, \"admin\": true, \"x\": {", ["start"] = new DateOnly(2026, 12, 2) });
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("Zoë \"Z\" O'Brien}, \"admin\": true, \"x\": {", doc.RootElement.GetProperty("name").GetString());
        Assert.False(doc.RootElement.TryGetProperty("admin", out _));
        Assert.Equal(2, doc.RootElement.EnumerateObject().Count());
    }
}
