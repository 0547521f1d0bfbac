using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Handoff.Core.Workspace;

namespace Handoff.Core.Tests;

/// <summary>Locates the repository and builds throwaway workspace directories for tests.</summary>
internal sealed class TestWorkspace : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "handoff-ws-" + Guid.NewGuid().ToString("N"));

    public TestWorkspace() => System.IO.Directory.CreateDirectory(Directory);

    public static string RepositoryRoot { get; } = FindRoot();

    public static string AcmeSample => Path.Combine(RepositoryRoot, "samples", "acme");

    /// <summary>Two systems most dictionary tests bind to.</summary>
    public const string TwoSystems = """
        systems:
          - id: hris
            kind: hris
            connector: csv
            owner: hr
            config: { path: data/hris, key: Employee_ID }
          - id: directory
            kind: directory
            connector: sandbox
            owner: it
        """;

    public static WorkspaceLoadResult Load(string? systems = null, string? dictionary = null, string? charter = null)
    {
        using var ws = new TestWorkspace();
        ws.Write(WorkspaceLoader.SystemsFile, systems);
        ws.Write(WorkspaceLoader.DictionaryFile, dictionary);
        ws.Write(WorkspaceLoader.CharterFile, charter);
        return WorkspaceLoader.Load(ws.Directory);
    }

    public void Write(string file, string? text)
    {
        if (text is not null)
            File.WriteAllText(Path.Combine(Directory, file), text);
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Handoff.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Handoff.slnx not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Asserts on loader errors with a readable failure listing every error.</summary>
internal static class ErrorAssert
{
    public static void Has(WorkspaceLoadResult result, string file, int line, int column, string fragment) =>
        Has(result.Errors, file, line, column, fragment);

    public static void Has(IReadOnlyList<WorkspaceError> errors, string file, int line, int column, string fragment)
    {
        var found = errors.Any(e => e.File == file && e.Line == line && e.Column == column
            && e.Message.Contains(fragment, StringComparison.Ordinal));
        Assert.True(found, $"expected {file}:{line}:{column}: …{fragment}… but got:\n" + string.Join("\n", errors));
    }

    public static void Single(WorkspaceLoadResult result, string file, int line, int column, string fragment)
    {
        Has(result, file, line, column, fragment);
        Assert.True(result.Errors.Count == 1, "expected one error, got:\n" + string.Join("\n", result.Errors));
        Assert.Null(result.Workspace);
    }
}

/// <summary>
/// Structural equality for workspace records. The records hold lists and dictionaries, which
/// compare by reference, so both sides are serialized to JSON (lists and maps by content) and the
/// texts compared; source positions (<c>At</c>) are left out because rewriting moves lines.
/// </summary>
internal static class Structural
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    foreach (var p in info.Properties.Where(p => p.Name == "At").ToList())
                        info.Properties.Remove(p);
                },
            },
        },
    };

    public static string Text<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void AssertEqual<T>(T expected, T actual) => Assert.Equal(Text(expected), Text(actual));
}
