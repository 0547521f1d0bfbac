using Handoff.Core.Templates;

namespace Handoff.Core.Tests.Templates;

public class UniqueValueTests
{
    [Fact]
    public void Candidates_number_from_two()
    {
        Assert.Equal(["john.smith", "john.smith2", "john.smith3", "john.smith4"], UniqueValue.Candidates("john.smith", null).Take(4));
    }

    [Fact]
    public void Candidates_cut_the_base_so_the_number_fits()
    {
        var base20 = "christopher.wellington";
        var candidates = UniqueValue.Candidates(base20, 20).Take(12).ToList();
        Assert.Equal("christopher.wellingt", candidates[0]);
        Assert.Equal("christopher.welling2", candidates[1]);
        Assert.Equal("christopher.wellin10", candidates[9]);
        Assert.All(candidates, c => Assert.True(c.Length <= 20, c));
    }

    [Fact]
    public void Mail_addresses_are_numbered_and_cut_before_the_at_sign()
    {
        Assert.Equal(["ada@acme.example", "ada2@acme.example", "ada3@acme.example"], UniqueValue.Candidates("ada@acme.example", null).Take(3));
        // 20 characters in all: the domain stays whole, the local part makes room for the number
        Assert.Equal(["christo@acme.example", "christ2@acme.example"], UniqueValue.Candidates("christopher@acme.example", 20).Take(2));
    }

    [Fact]
    public void Candidates_drop_a_separator_left_dangling_by_the_cut()
    {
        Assert.Equal(["john", "john2", "john3"], UniqueValue.Candidates("john.smith", 5).Take(3));
    }

    [Fact]
    public void Candidates_stop_when_the_number_alone_fills_the_limit()
    {
        Assert.Equal(["ab", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"], UniqueValue.Candidates("abc", 2));
    }

    [Fact]
    public async Task Select_tries_alternatives_first_then_numbers_the_first()
    {
        var taken = new HashSet<string> { "john.smith", "j.smith", "john.smith2" };
        var checkedValues = new List<string>();
        var value = await UniqueValue.SelectAsync(
            ["john.smith", "j.smith"],
            (candidate, _) =>
            {
                checkedValues.Add(candidate);
                return ValueTask.FromResult(taken.Contains(candidate));
            },
            maxLength: 20);
        Assert.Equal("john.smith3", value);
        Assert.Equal(["john.smith", "j.smith", "john.smith2", "john.smith3"], checkedValues);
    }

    [Fact]
    public async Task Select_returns_the_first_free_alternative()
    {
        var value = await UniqueValue.SelectAsync(
            ["john.smith", "j.smith"], (candidate, _) => ValueTask.FromResult(candidate == "john.smith"), maxLength: null);
        Assert.Equal("j.smith", value);
    }

    [Fact]
    public async Task Select_gives_up_after_max_tries_with_a_clear_message()
    {
        var calls = 0;
        var error = await Assert.ThrowsAsync<UniqueValueExhaustedException>(async () => await UniqueValue.SelectAsync(
            ["john.smith"],
            (_, _) =>
            {
                calls++;
                return ValueTask.FromResult(true);
            },
            maxLength: 20));
        Assert.Equal(100, calls);
        Assert.Equal(100, error.Tried.Count);
        Assert.Equal("john.smith100", error.Tried[^1]);
        Assert.Equal("no free value after 100 tries: \"john.smith\", \"john.smith2\", … \"john.smith100\" are all taken; add alternatives or allow more tries", error.Message);
    }

    [Fact]
    public async Task Select_honours_a_smaller_try_limit_and_truncation()
    {
        var error = await Assert.ThrowsAsync<UniqueValueExhaustedException>(async () => await UniqueValue.SelectAsync(
            ["christopher.wellington"], (_, _) => ValueTask.FromResult(true), maxLength: 20, maxTries: 3));
        Assert.Equal(["christopher.wellingt", "christopher.welling2", "christopher.welling3"], error.Tried);
    }

    [Fact]
    public async Task Select_passes_the_cancellation_token()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await UniqueValue.SelectAsync(
            ["a"], (_, _) => ValueTask.FromResult(true), null, cancellationToken: cts.Token));
    }
}
