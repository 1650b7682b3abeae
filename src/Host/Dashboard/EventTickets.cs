using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Dpr.Host.Dashboard;

/// <summary>
/// Short-lived, single-use tickets for <c>GET /v1/events?ticket=...</c>: a browser's EventSource cannot
/// send an <c>Authorization</c> header, and an API key must never travel in a URL (logs, history). A
/// ticket is made by an authenticated <c>POST /v1/events/tickets</c>, names the tenant and the key, and
/// is good for one connection within <see cref="Lifetime"/>.
/// </summary>
public sealed class EventTickets(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>Outstanding tickets at most; past it the oldest are dropped.</summary>
    private const int MaxOutstanding = 4096;

    private readonly ConcurrentDictionary<string, (string Tenant, string KeySha256, DateTimeOffset Expires)> _tickets = new(StringComparer.Ordinal);

    public string Issue(string tenant, string keySha256)
    {
        var now = time.GetUtcNow();
        if (_tickets.Count >= MaxOutstanding)
        {
            foreach (var old in _tickets.Where(t => t.Value.Expires <= now).Select(t => t.Key).ToList())
            {
                _tickets.TryRemove(old, out _);
            }
            foreach (var oldest in _tickets.OrderBy(t => t.Value.Expires).Take(_tickets.Count - MaxOutstanding + 1).Select(t => t.Key).ToList())
            {
                _tickets.TryRemove(oldest, out _);
            }
        }
        var ticket = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _tickets[ticket] = (tenant, keySha256, now + Lifetime);
        return ticket;
    }

    /// <summary>The tenant and key of the ticket, which is used up; null for an unknown, used or expired one.</summary>
    public (string Tenant, string KeySha256)? Redeem(string ticket) =>
        _tickets.TryRemove(ticket, out var found) && found.Expires > time.GetUtcNow() ? (found.Tenant, found.KeySha256) : null;
}
