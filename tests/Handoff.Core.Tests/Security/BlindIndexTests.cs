using Handoff.Core.Security;

namespace Handoff.Core.Tests.Security;

public sealed class BlindIndexTests
{
    private static readonly KeyRing Ring = KeyRing.Generate();

    [Fact]
    public void Equal_values_after_normalization_hash_equal()
    {
        var index = new BlindIndex(Ring);
        Assert.Equal(index.Hash("national_id", "AB123456C"), index.Hash("national_id", "  ab123456c "));
        // Composed and decomposed "é" are the same text.
        Assert.Equal(index.Hash("name", "Jos\u00e9"), index.Hash("name", "Jose\u0301"));
    }

    [Fact]
    public void The_hash_depends_on_value_context_and_key()
    {
        var index = new BlindIndex(Ring);
        var hash = index.Hash("national_id", "123-45-6789");
        Assert.Equal(43, hash.Length);
        Assert.DoesNotContain("123", hash);
        Assert.NotEqual(hash, index.Hash("national_id", "123-45-6780"));
        Assert.NotEqual(hash, index.Hash("tax_id", "123-45-6789"));
        Assert.NotEqual(hash, new BlindIndex(KeyRing.Generate()).Hash("national_id", "123-45-6789"));
        // Data-key rotation leaves the blind index (and so every lookup) unchanged.
        Assert.Equal(hash, new BlindIndex(Ring.WithNewCurrentKey()).Hash("national_id", "123-45-6789"));
    }
}
