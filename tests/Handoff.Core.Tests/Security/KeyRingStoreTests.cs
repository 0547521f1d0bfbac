using Handoff.Core.Security;

namespace Handoff.Core.Tests.Security;

public sealed class KeyRingStoreTests
{
    private static string NewDir() => Path.Combine(Path.GetTempPath(), "handoff-keys-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void The_ring_is_created_on_first_start_private_to_its_owner_with_a_clear_message()
    {
        var dir = NewDir();
        var messages = new List<string>();
        var first = KeyRingStore.Open(dir, null, messages.Add, null);
        Assert.True(first.Created);
        Assert.Equal(Path.Combine(Path.GetFullPath(dir), "keyring.json"), first.Path);
        var message = Assert.Single(messages);
        Assert.Contains(first.Path!, message);
        Assert.Contains("lost", message);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.Path!));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }

        // The second start reads the same ring and says nothing.
        var second = KeyRingStore.Open(dir, null, messages.Add, null);
        Assert.False(second.Created);
        Assert.Single(messages);
        Assert.Equal(first.Ring.Fingerprint("k1"), second.Ring.Fingerprint("k1"));
        Assert.Equal(first.Ring.Fingerprint(KeyRing.BlindIndexKeyId), second.Ring.Fingerprint(KeyRing.BlindIndexKeyId));
    }

    [Fact]
    public void A_ring_file_others_can_read_is_refused_with_the_fix()
    {
        if (OperatingSystem.IsWindows())
            return;
        var dir = NewDir();
        var path = KeyRingStore.Open(dir, null, _ => { }, null).Path!;
        var before = File.ReadAllText(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var e = Assert.Throws<KeyRingException>(() => KeyRingStore.Open(dir, null, _ => { }, null));
        Assert.Contains(path, e.Message);
        Assert.Contains("0644", e.Message);
        Assert.Contains($"chmod 600 {path}", e.Message);
        // Nothing else happened: the file is as it was.
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Saving_replaces_the_file_atomically_and_keeps_it_private()
    {
        var dir = NewDir();
        var loaded = KeyRingStore.Open(dir, null, _ => { }, null);
        var rotated = loaded.Ring.WithNewCurrentKey();
        KeyRingStore.Save(loaded.Path!, rotated);
        var again = KeyRingStore.Load(loaded.Path!);
        Assert.Equal(["k1", "k2"], again.KeyIds);
        Assert.Equal("k2", again.CurrentKeyId);
        Assert.Single(Directory.GetFiles(dir));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(loaded.Path!));
    }

    [Fact]
    public void The_whole_ring_can_come_from_the_environment_and_wins_over_the_folder()
    {
        var ring = KeyRing.Generate().WithNewCurrentKey();
        var dir = NewDir();
        var loaded = KeyRingStore.Open(dir, KeyRingStore.ToVariable(ring), _ => { }, null);
        Assert.Null(loaded.Path);
        Assert.Equal("$HANDOFF_KEYRING", loaded.Origin);
        Assert.Equal("k2", loaded.Ring.CurrentKeyId);
        Assert.Equal(ring.Fingerprint("k1"), loaded.Ring.Fingerprint("k1"));
        Assert.False(Directory.Exists(dir));

        var e = Assert.Throws<KeyRingException>(() => KeyRingStore.Open(dir, "not base64!", _ => { }, null));
        Assert.Contains("HANDOFF_KEYRING", e.Message);
    }

    [Fact]
    public void A_damaged_ring_is_refused_with_what_is_wrong()
    {
        var ring = KeyRing.Generate();
        var json = ring.ToJson();
        Assert.Contains("not valid JSON", Assert.Throws<KeyRingException>(() => KeyRing.FromJson("{", "test")).Message);
        Assert.Contains("current key 'k9'", Assert.Throws<KeyRingException>(() => KeyRing.FromJson(json.Replace("\"current\": \"k1\"", "\"current\": \"k9\"", StringComparison.Ordinal), "test")).Message);
        Assert.Contains("is not base64", Assert.Throws<KeyRingException>(() => KeyRing.FromJson(json.Replace("\"keys\": {\n    \"k1\": \"", "\"keys\": {\n    \"k1\": \"!", StringComparison.Ordinal), "test")).Message);
        Assert.Throws<KeyRingException>(() => ring.WithoutKey("k1"));
    }
}
