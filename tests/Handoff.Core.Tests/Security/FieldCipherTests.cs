using System.Diagnostics;
using Handoff.Core.Security;
using Xunit.Abstractions;

namespace Handoff.Core.Tests.Security;

public sealed class FieldCipherTests(ITestOutputHelper output)
{
    private static readonly KeyRing Ring = KeyRing.Generate();

    [Theory]
    [InlineData("")]
    [InlineData("123-45-6789")]
    [InlineData("Zoë O'Brien-Núñez 💼")]
    public void A_value_round_trips_and_the_ciphertext_does_not_contain_it(string plaintext)
    {
        var cipher = new FieldCipher(Ring);
        var encrypted = cipher.Encrypt(plaintext, "national_id");
        Assert.True(FieldCipher.IsEncrypted(encrypted));
        Assert.StartsWith("enc:v1:k1:", encrypted);
        if (plaintext.Length > 0)
            Assert.DoesNotContain(plaintext, encrypted);
        Assert.Equal(plaintext, cipher.Decrypt(encrypted, "national_id"));
    }

    [Fact]
    public void A_long_value_round_trips()
    {
        var cipher = new FieldCipher(Ring);
        var plaintext = new string('x', 100_000);
        Assert.Equal(plaintext, cipher.Decrypt(cipher.Encrypt(plaintext, "notes"), "notes"));
    }

    [Fact]
    public void The_same_value_encrypts_differently_each_time()
    {
        var cipher = new FieldCipher(Ring);
        Assert.NotEqual(cipher.Encrypt("123-45-6789", "national_id"), cipher.Encrypt("123-45-6789", "national_id"));
    }

    [Fact]
    public void The_key_id_is_recorded_in_each_value()
    {
        var rotated = Ring.WithNewCurrentKey();
        var before = new FieldCipher(Ring).Encrypt("55000", "salary");
        var after = new FieldCipher(rotated).Encrypt("55000", "salary");
        Assert.Equal("k1", FieldCipher.KeyIdOf(before));
        Assert.Equal("k2", FieldCipher.KeyIdOf(after));
        // The rotated ring still reads what the old key wrote.
        Assert.Equal("55000", new FieldCipher(rotated).Decrypt(before, "salary"));
        Assert.Null(FieldCipher.KeyIdOf("55000"));
    }

    [Fact]
    public void A_tampered_ciphertext_is_detected_and_the_error_names_the_key()
    {
        var cipher = new FieldCipher(Ring);
        var encrypted = cipher.Encrypt("123-45-6789", "national_id");
        var body = Convert.FromBase64String(encrypted["enc:v1:k1:".Length..]);
        foreach (var position in new[] { 0, 12, body.Length - 1 }) // nonce, ciphertext, tag
        {
            var altered = (byte[])body.Clone();
            altered[position] ^= 0x01;
            var e = Assert.Throws<FieldDecryptionException>(() => cipher.Decrypt("enc:v1:k1:" + Convert.ToBase64String(altered), "national_id"));
            Assert.Equal("k1", e.KeyId);
            Assert.Contains("failed authentication", e.Message);
            Assert.DoesNotContain("123-45-6789", e.Message);
        }
        Assert.Throws<FieldDecryptionException>(() => cipher.Decrypt(encrypted[..^8], "national_id"));
    }

    [Fact]
    public void A_ciphertext_moved_to_another_field_does_not_decrypt()
    {
        var cipher = new FieldCipher(Ring);
        var encrypted = cipher.Encrypt("123-45-6789", "national_id");
        var e = Assert.Throws<FieldDecryptionException>(() => cipher.Decrypt(encrypted, "salary"));
        Assert.Contains("moved from another field", e.Message);
        Assert.Equal("salary", e.Context);
    }

    [Fact]
    public void A_key_missing_from_the_ring_is_a_clear_error_naming_it()
    {
        var rotated = Ring.WithNewCurrentKey();
        var encrypted = new FieldCipher(rotated).Encrypt("123-45-6789", "national_id");
        var e = Assert.Throws<FieldDecryptionException>(() => new FieldCipher(Ring).Decrypt(encrypted, "national_id"));
        Assert.Equal("k2", e.KeyId);
        Assert.Contains("key 'k2' is not in the key ring", e.Message);
    }

    [Fact]
    public void A_different_ring_with_the_same_key_id_is_refused_not_decrypted_to_garbage()
    {
        var encrypted = new FieldCipher(Ring).Encrypt("123-45-6789", "national_id");
        var e = Assert.Throws<FieldDecryptionException>(() => new FieldCipher(KeyRing.Generate()).Decrypt(encrypted, "national_id"));
        Assert.Contains("different key", e.Message);
    }

    [Fact]
    public void Cleartext_passes_through_DecryptIfEncrypted()
    {
        var cipher = new FieldCipher(Ring);
        Assert.Equal("plain", cipher.DecryptIfEncrypted("plain", "x"));
        Assert.Null(cipher.DecryptIfEncrypted(null, "x"));
        Assert.Equal("secret", cipher.DecryptIfEncrypted(cipher.Encrypt("secret", "x"), "x"));
    }

    [Fact]
    public void One_cipher_is_safe_to_use_from_many_threads()
    {
        var cipher = new FieldCipher(Ring);
        Parallel.For(0, 20_000, i =>
        {
            var value = $"value-{i}";
            Assert.Equal(value, cipher.Decrypt(cipher.Encrypt(value, $"field{i % 7}"), $"field{i % 7}"));
        });
    }

    [Fact]
    public void Three_hundred_thousand_values_encrypt_and_decrypt_in_seconds()
    {
        // 100,000 records × 3 sensitive fields, the size the ingestion path must handle.
        var cipher = new FieldCipher(Ring);
        var encrypted = new string[300_000];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < encrypted.Length; i++)
            encrypted[i] = cipher.Encrypt("123-45-6789", "national_id");
        var encrypting = watch.Elapsed;
        foreach (var value in encrypted)
            cipher.Decrypt(value, "national_id");
        output.WriteLine($"300,000 values: encrypt {encrypting.TotalMilliseconds:F0} ms, decrypt {(watch.Elapsed - encrypting).TotalMilliseconds:F0} ms");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
    }
}
