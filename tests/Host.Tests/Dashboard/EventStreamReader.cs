using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Dpr.Host.Tests.Dashboard;

/// <summary>An open <c>GET /v1/events</c> read with the runtime's SSE parser: the events as they come.</summary>
public sealed class EventStreamReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly IAsyncEnumerator<SseItem<string>> _items;

    private EventStreamReader(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _items = SseParser.Create(body).EnumerateAsync().GetAsyncEnumerator();
    }

    /// <summary>The id of the last event read that had one.</summary>
    public string? LastId { get; private set; }

    public static async Task<EventStreamReader> OpenAsync(HttpClient client, string path = "/v1/events", string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            // Read only when refused: the body of an open stream never ends.
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStreamReader(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event (pings skipped); null when the stream ended.</summary>
    public async Task<(string Type, JsonElement Data, string? Id)?> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (await _items.MoveNextAsync().AsTask().WaitAsync(cancel.Token))
        {
            var item = _items.Current;
            if (item.EventType == "ping")
            {
                continue;
            }
            LastId = item.EventId ?? LastId;
            return (item.EventType, JsonDocument.Parse(item.Data).RootElement.Clone(), item.EventId);
        }
        return null;
    }

    /// <summary>Events up to and including the first that <paramref name="match"/>es; fails when the stream ends first.</summary>
    public async Task<List<(string Type, JsonElement Data, string? Id)>> UntilAsync(Func<string, JsonElement, bool> match)
    {
        var seen = new List<(string, JsonElement, string?)>();
        while (await NextAsync() is { } e)
        {
            seen.Add(e);
            if (match(e.Type, e.Data))
            {
                return seen;
            }
        }
        throw new Xunit.Sdk.XunitException($"the stream ended before the event looked for; it sent {string.Join(", ", seen.Select(s => s.Item1))}");
    }

    public async ValueTask DisposeAsync()
    {
        await _items.DisposeAsync();
        _response.Dispose();
    }
}
