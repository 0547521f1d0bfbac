using System.Text.Json;
using Handoff.Data.Security;

namespace Handoff.Server.Hooks;

/// <summary>A stored delivery body: <c>{"body": "enc:v1:…"}</c>, so key rotation finds and re-encrypts it
/// like every other encrypted value.</summary>
public static class WebhookBody
{
    private const string Context = "body";

    public static string Seal(KeyMaterial keys, string body) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { [Context] = keys.Cipher.Encrypt(body, Context) });

    public static string Open(KeyMaterial keys, string stored) =>
        keys.Cipher.Decrypt(JsonSerializer.Deserialize<Dictionary<string, string>>(stored)![Context], Context);
}
