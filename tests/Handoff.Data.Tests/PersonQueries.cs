using Handoff.Core.People;
using Handoff.Data.People;
using Microsoft.EntityFrameworkCore;

namespace Handoff.Data.Tests;

public static class PersonQueries
{
    /// <summary>The person holding a correlation key (e.g. employee_id 100131), with values parsed and
    /// sensitive ones decrypted with the test's key ring.</summary>
    public static async Task<(PersonRow Row, Dictionary<string, ResolvedValue> Values)> PersonByKeyAsync(this DataSpine spine, string rule, string value)
    {
        await using var db = spine.Db();
        var ids = await db.PersonKeys.Where(k => k.Rule == rule && k.Value == value.ToLowerInvariant()).Select(k => k.PersonId).ToListAsync();
        Assert.True(ids.Count == 1, $"expected one person with {rule}={value}, found {ids.Count}");
        var row = await db.People.AsNoTracking().SingleAsync(p => p.Id == ids[0]);
        return (row, new Handoff.Data.Security.FieldProtection(spine.Definition.Dictionary, spine.Keys).DeserializeResolved(row.ValuesJson));
    }

    public static async Task<List<string>> EventTypesAsync(this DataSpine spine, Guid personId)
    {
        await using var db = spine.Db();
        return await db.OutboxEvents.Where(e => e.PersonId == personId).OrderBy(e => e.Id).Select(e => e.Type).ToListAsync();
    }
}
