using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Dpr.Host.Dashboard;

/// <summary>
/// A Server-Sent Events response written by the runtime's <see cref="SseFormatter"/> through a buffer that
/// reaches the socket only when the items' producer says so (the function it is handed), so that events
/// produced together leave in one write. <c>TypedResults.ServerSentEvents</c> writes and flushes each
/// item on its own.
/// </summary>
public sealed class EventStreamResult(Func<Func<CancellationToken, Task>, CancellationToken, IAsyncEnumerable<SseItem<string>>> items) : IResult
{
    private const int BufferBytes = 16 * 1024;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
        var cancel = httpContext.RequestAborted;
        // Not disposed: that would close the response body, which belongs to the server.
        var buffer = new BufferedStream(response.Body, BufferBytes);
        try
        {
            await SseFormatter.WriteAsync(items(buffer.FlushAsync, cancel), buffer, cancel);
            await buffer.FlushAsync(cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
