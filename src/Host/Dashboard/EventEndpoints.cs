using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Dashboard;

/// <summary>
/// <c>GET /v1/events</c>: the board's and the caller's jobs' events as Server-Sent Events, resumable with
/// <c>Last-Event-ID</c> (docs/dashboard.md); <c>POST /v1/events/tickets</c>: a ticket to open it from a browser.
/// </summary>
public static class EventEndpoints
{
    private static readonly string[] StreamQuery = ["ticket", "lastEventId"];
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long live events gather before they are sent: one write (and one wake-up of the stream) per batch
    /// instead of per event, which is most of what an open stream costs the service (docs/benchmarks/dashboard.md).
    /// </summary>
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(100);

    public static void MapEvents(this WebApplication app, RouteGroupBuilder v1)
    {
        v1.MapPost("/events/tickets", (HttpContext http, EventTickets tickets) =>
        {
            var (tenant, key) = TenantAuth.Identity(http);
            return new EventTicketDto(tickets.Issue(tenant.Name, key.Sha256), (int)EventTickets.Lifetime.TotalSeconds);
        }).WithSummary("A single-use ticket, good for 30 s, to open GET /v1/events from a browser");
        // Its own authentication (a bearer key or a ticket), outside the group's: an EventSource sends no headers.
        app.MapGet("/v1/events", Open).WithSummary("Live events: swaps, jobs, queues, SEM and health (Server-Sent Events, resumable with Last-Event-ID)")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
    }

    private static IResult Open(HttpContext http, EventTickets tickets, TenantStore store, LiveEventHub hub, EventJournal journal, DprNode node)
    {
        var ticket = RequestRules.Query(http.Request, "ticket", StreamQuery, 64);
        var lastId = http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : RequestRules.Query(http.Request, "lastEventId", StreamQuery, 4096);
        var (tenant, keySha256) = ticket is null ? Bearer(http) : Ticket(tickets, store, ticket);
        EventCursor? resume;
        try
        {
            resume = lastId is null ? null : EventCursor.Parse(lastId);
        }
        catch (FormatException e)
        {
            throw ApiProblem.BadInput("Last-Event-ID", $"not an id of this stream ({e.Message}); open the stream without it to start afresh");
        }
        var connection = hub.Connect(tenant.Name, tenant.Admin, keySha256)
            ?? throw new ApiProblem(StatusCodes.Status429TooManyRequests, "connections",
                $"at most {LiveEventHub.MaxPerTenant} open event streams per tenant and {LiveEventHub.MaxConnections} in all", TimeSpan.FromSeconds(5));
        return new EventStreamResult((send, cancel) => Stream(connection, resume, hub, journal, node, send, cancel));
    }

    private static (Tenant Tenant, string KeySha256) Bearer(HttpContext http) =>
        TenantAuth.Authenticate(http) is var (tenant, key)
            ? (tenant, key.Sha256)
            : throw new ApiProblem(StatusCodes.Status401Unauthorized, "authorization", "send an API key as 'Authorization: Bearer KEY', or a ticket of POST /v1/events/tickets as ?ticket=");

    private static (Tenant Tenant, string KeySha256) Ticket(EventTickets tickets, TenantStore store, string ticket)
    {
        var (name, keySha256) = tickets.Redeem(ticket) ?? throw new ApiProblem(StatusCodes.Status401Unauthorized, "ticket", "unknown, used or expired ticket; POST /v1/events/tickets makes one");
        // The key may have been revoked since the ticket was made.
        var tenant = store.Find(name) is { } found && found.Keys.Any(k => k.Sha256 == keySha256)
            ? found
            : throw new ApiProblem(StatusCodes.Status401Unauthorized, "ticket", "the key this ticket was made with is revoked");
        return (tenant, keySha256);
    }

    /// <summary>
    /// The hello (the board now), the events missed since <paramref name="resume"/> read back from the
    /// journals, then the live ones (those already read back skipped by their sequence numbers). Live events
    /// go out in batches: once one arrives, those of the next <see cref="Coalesce"/> join it, and
    /// <paramref name="send"/> writes them to the socket together before the stream waits again.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<string>> Stream(EventConnection connection, EventCursor? resume, LiveEventHub hub, EventJournal journal, DprNode node,
        Func<CancellationToken, Task> send, [EnumeratorCancellation] CancellationToken cancel)
    {
        try
        {
            var highest = await journal.HighestAsync(node.Options.AskTimeout);
            var cursor = EventCursor.Of(highest.Positions.ToDictionary(p => p.Key, p => resume?.Positions.GetValueOrDefault(p.Key, p.Value) ?? p.Value));
            var missed = new List<LiveEvent>();
            var gaps = new List<string>();
            foreach (var (source, upTo) in highest.Positions)
            {
                if (await journal.ReadAsync(source, cursor[source], upTo, connection.Admin ? null : connection.Tenant, cancel) is { } events)
                {
                    missed.AddRange(events);
                }
                else
                {
                    gaps.Add(source);
                }
            }
            foreach (var source in gaps)
            {
                cursor.MoveTo(source, highest[source]);
            }
            // A fleet node's own board serves nothing and has no health to show: the fleet's partitions, each with its board.
            var hello = new HelloDto(connection.Tenant, connection.Admin, node.Board.Name, await BoardEndpoints.RegionsAsync(node), await hub.QueuedAsync(),
                node.Fleet is null ? await BoardHealth.ReadAsync(node, node.Options.AskTimeout) : null, resume is not null,
                gaps.Count == 0 ? null : $"events of {string.Join(", ", gaps)} since the last id are no longer kept; reload");
            yield return new SseItem<string>(LiveEvents.Of("hello", hello).Json, "hello") { ReconnectionInterval = TimeSpan.FromSeconds(2) };
            foreach (var e in missed)
            {
                if (cursor.Advance(e.Source!, e.Sequence))
                {
                    yield return Item(e, cursor);
                }
            }
            foreach (var (source, upTo) in highest.Positions)
            {
                cursor.Advance(source, upTo);
            }
            while (true)
            {
                await send(cancel);
                var (more, idle) = await WaitAsync(connection, cancel);
                if (!more)
                {
                    yield break;
                }
                if (idle)
                {
                    yield return new SseItem<string>("{}", "ping");
                    continue;
                }
                await Task.Delay(Coalesce, cancel);
                while (connection.Events.TryRead(out var e))
                {
                    if (e.Source is null || cursor.Advance(e.Source, e.Sequence))
                    {
                        yield return Item(e, cursor);
                    }
                }
            }
        }
        finally
        {
            hub.Disconnect(connection);
        }
    }

    private static SseItem<string> Item(LiveEvent e, EventCursor cursor) =>
        e.Source is null ? new SseItem<string>(e.Json, e.Name) : new SseItem<string>(e.Json, e.Name) { EventId = cursor.ToString() };

    /// <summary>Whether events may come (false once the stream ended), and whether <see cref="KeepAlive"/> passed without any.</summary>
    private static async Task<(bool More, bool Idle)> WaitAsync(EventConnection connection, CancellationToken cancel)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        idle.CancelAfter(KeepAlive);
        try
        {
            return (await connection.Events.WaitToReadAsync(idle.Token), false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return (true, true);
        }
    }
}
