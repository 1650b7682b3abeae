using MessagePack;

namespace Dpr.Actors.Audit;

/// <summary>The audit trail's events (persistence id <c>audit</c>). Keys are only ever appended.</summary>
public static class AuditEvents
{
    /// <summary>
    /// An admin action and how it ended.
    /// </summary>
    /// <param name="By">Who: the tenant whose key was presented, or <c>cli:USER</c> for <c>dpr tenants</c> run by that OS user.</param>
    /// <param name="Key">The name of the key presented (null for the CLI).</param>
    /// <param name="Source">Where from: the caller's address, or <c>cli@HOST</c>.</param>
    /// <param name="Action">What, e.g. <c>region.load</c>, <c>tenant.add</c>, <c>key.revoke</c>, <c>chaos.port-faults</c> (docs/api.md lists them).</param>
    /// <param name="Target">What it was done to: a partition, a tenant.</param>
    /// <param name="Detail">The arguments that matter (the module loaded, the key made...); never a key itself.</param>
    /// <param name="Outcome"><c>ok</c> or <c>failed</c>.</param>
    /// <param name="Status">The HTTP status answered (null for the CLI).</param>
    /// <param name="Reason">Why it failed.</param>
    [MessagePackObject]
    public sealed record ActionRecorded(
        [property: Key(0)] DateTimeOffset At,
        [property: Key(1)] string By,
        [property: Key(2)] string? Key,
        [property: Key(3)] string Source,
        [property: Key(4)] string Action,
        [property: Key(5)] string? Target,
        [property: Key(6)] string? Detail,
        [property: Key(7)] string Outcome,
        [property: Key(8)] int? Status,
        [property: Key(9)] string? Reason) : IAuditMessage;
}
