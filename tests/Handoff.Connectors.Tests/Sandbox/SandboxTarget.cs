using Handoff.Connectors.Sandbox;
using Handoff.Core.Connectors;
using Handoff.Data;
using Handoff.Data.Tests;

namespace Handoff.Connectors.Tests.Sandbox;

/// <summary>A sandbox system on a fresh database of one provider, and short ways to write to it.</summary>
internal sealed class SandboxTarget
{
    private SandboxTarget(DatabaseOptions database, SandboxConnector connector, TestClock clock)
    {
        Database = database;
        Connector = connector;
        Clock = clock;
    }

    public DatabaseOptions Database { get; }
    public SandboxConnector Connector { get; }
    public TestClock Clock { get; }

    public static async Task<SandboxTarget> StartAsync(string provider, string kind = SandboxDialect.ActiveDirectory, bool groupsMustExist = false, params string[] groups)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var clock = TestClock.At("2026-11-27");
        var settings = SandboxSettings.Default(kind) with { GroupsMustExist = groupsMustExist, Groups = groups };
        return new SandboxTarget(database, new SandboxConnector("target", settings, database.CreateContext, clock), clock);
    }

    /// <summary>A second connector on the same database (another system, or another worker).</summary>
    public SandboxConnector Another(string systemId, string kind) =>
        new(systemId, SandboxSettings.Default(kind), Database.CreateContext, Clock);

    public HandoffDbContext Db() => Database.CreateContext();

    public static TargetOperation Op(TargetOperationKind kind, string? nativeId = null, string? anchor = null, string? key = null,
        string objectClass = ObjectClasses.Account, params (string Name, object? Value)[] attributes) =>
        new(kind, objectClass, nativeId, anchor, attributes.ToDictionary(a => a.Name, a => a.Value), key ?? Guid.NewGuid().ToString("N"));

    public Task<TargetOperationResult> CreateAsync(string username, string anchor, params (string Name, object? Value)[] more) =>
        Connector.ApplyAsync(Op(TargetOperationKind.Create, anchor: anchor, attributes:
            [(AccountAttributes.Username, username), (AccountAttributes.GivenName, "Ada"), (AccountAttributes.Surname, "Lovelace " + anchor), .. more]), default);

    public Task<TargetOperationResult> ApplyAsync(TargetOperationKind kind, string nativeId, params (string Name, object? Value)[] attributes) =>
        Connector.ApplyAsync(Op(kind, nativeId, attributes: attributes), default);

    public async Task<TargetObject> ReadOneAsync(string nativeId)
    {
        await foreach (var o in Connector.ReadAsync(Connector.Dialect.ObjectClass, default))
        {
            if (o.NativeId == nativeId)
                return o;
        }
        throw new Xunit.Sdk.XunitException($"{nativeId} not found in the sandbox");
    }

    public async Task<List<TargetObject>> ReadAllAsync(string? objectClass = null)
    {
        var all = new List<TargetObject>();
        await foreach (var o in Connector.ReadAsync(objectClass ?? Connector.Dialect.ObjectClass, default))
            all.Add(o);
        return all;
    }

    public static async Task<ConnectorException> FailsAsync(ConnectorFailure failure, Func<Task> write)
    {
        var e = await Assert.ThrowsAsync<ConnectorException>(write);
        Assert.True(e.Failure == failure, $"expected {failure}, got {e.Failure}: {e.Message}");
        return e;
    }
}
