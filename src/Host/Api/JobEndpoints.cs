using System.Buffers;
using System.Data.Common;
using System.Text.Json;
using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Api;

/// <summary><c>/v1/jobs</c>: submit, look up, fetch the result, cancel, list — each tenant only its own jobs.</summary>
public static class JobEndpoints
{
    /// <summary>The bodies of the other endpoints are a few hundred bytes; this is room to spare, not room for a tensor.</summary>
    public const int SmallBodyBytes = 64 * 1024;

    /// <summary>Result bytes read and encoded at a time: a multiple of 3, so each chunk is whole base64 blocks.</summary>
    private const int ResultChunkBytes = 48 * 1024;

    /// <summary>The query parameters of <c>GET /v1/jobs</c>.</summary>
    private static readonly string[] ListQuery = ["state", "limit"];

    public static void MapJobs(this RouteGroupBuilder v1)
    {
        v1.MapPost("/jobs", SubmitAsync)
            .Accepts<SubmitJobDto>("application/json").Produces<SubmittedDto>(StatusCodes.Status202Accepted).WithSummary("Submit a convolution job");
        v1.MapGet("/jobs/{id:guid}", async (Guid id, HttpContext http, DprNode node) => ToDto(await OwnJobAsync(id, http, node)))
            .WithSummary("A job's state");
        v1.MapGet("/jobs/{id:guid}/result", ResultAsync).Produces<ResultDto>().WithSummary("A completed job's output");
        v1.MapDelete("/jobs/{id:guid}", CancelAsync).WithSummary("Cancel a queued job");
        v1.MapGet("/jobs", ListAsync).WithSummary("The caller's jobs, newest first");
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, DprNode node, DprMetrics metrics, DiskSpace disk, LargeBodies large)
    {
        var tenant = TenantAuth.Caller(http);
        RequestRules.RequireJson(http.Request);
        // A nearly full disk takes no new work (before the body is even read): what room is left is for the jobs already accepted.
        if (disk.Short() is { } free)
        {
            metrics.Submitted("disk");
            throw ApiProblem.InsufficientStorage(disk.Refusal(free));
        }
        // Read, checked (without decoding the tensors) and a large input stored here, on the request's thread,
        // as the body arrives: the intake only bounds, deduplicates and records.
        JobRequest request;
        try
        {
            using var body = new BoundedBody(http.Request, node.Limits.MaxRequestBytes, "Dpr:MaxRequestBytes", large);
            using var submission = await SubmitJobReader.ReadAsync(body, tenant.Name, node.Blobs, http.RequestAborted);
            request = submission.Request.Check(now: DateTimeOffset.UtcNow);
            RequireRunnable(request, node);
            submission.StoreInput();
        }
        catch (ApiProblem e) when (e.Status == StatusCodes.Status503ServiceUnavailable)
        {
            metrics.Submitted("busy");
            throw;
        }
        catch (ConvolutionException e)
        {
            metrics.Submitted("invalid");
            throw ApiProblem.BadInput(e.Field, e.Message);
        }
        catch (IOException e) when (DiskSpace.IsFull(e))
        {
            metrics.Submitted("disk");
            throw ApiProblem.InsufficientStorage($"the input could not be stored: {disk.Refusal(e)}");
        }
        catch (DbException e)
        {
            // The input goes to the journal's database (PostgreSQL) before the job is accepted.
            metrics.Submitted("journal");
            throw ApiProblem.Unavailable($"the input could not be stored: {Actors.Journal.JournalProbe.Describe(e)}; the job was not accepted");
        }
        var reply = await AskAsync(node.Intake, new JobCommands.Submit(request, Checked: true), node.Options.AskTimeout);
        switch (reply)
        {
            case JobReplies.Accepted accepted:
                metrics.Submitted("accepted");
                return Results.Accepted($"/v1/jobs/{accepted.JobId}", new SubmittedDto(accepted.JobId, Wire(JobState.Queued), accepted.Duplicate));
            case JobReplies.Rejected rejected:
                metrics.Submitted(rejected.Code switch
                {
                    RejectionCode.TenantQuota => "quota",
                    RejectionCode.QueueFull => "queue",
                    RejectionCode.JournalUnavailable => "journal",
                    _ => "invalid",
                });
                throw rejected.Code switch
                {
                    RejectionCode.TenantQuota => new ApiProblem(StatusCodes.Status429TooManyRequests, "quota", rejected.Message, rejected.RetryAfter),
                    RejectionCode.QueueFull => new ApiProblem(StatusCodes.Status429TooManyRequests, "queue", rejected.Message, rejected.RetryAfter),
                    RejectionCode.JournalUnavailable => ApiProblem.Unavailable(rejected.Message, rejected.RetryAfter),
                    _ => ApiProblem.BadInput(rejected.Field ?? "request", rejected.Message),
                };
            default:
                throw new InvalidOperationException($"unexpected reply {reply}");
        }
    }

    /// <summary>
    /// A job the partitions that host its module cannot run would fail when it runs: an image wider
    /// than the module's line buffer, or a pass larger than the partition's DMA buffer
    /// (<see cref="ConvDriver.Refusal"/>, what the driver refuses). It is refused now, naming the limit.
    /// </summary>
    private static void RequireRunnable(JobRequest request, DprNode node)
    {
        var spec = request.Spec();
        var partitions = node.Catalog.Modules.Where(m => m.Convolution == spec.Module).Select(m => $"partition '{m.Partition.Name}'").Distinct().ToList();
        var input = request.InputShape;
        // The buffer as the driver judges it: it addresses at most int.MaxValue bytes of it.
        var buffer = Math.Min(node.DmaBufferBytes, int.MaxValue);
        if (partitions.Count > 0 && ConvDriver.Refusal(spec, new TensorShape(input[0], input[1], input[2], input[3]), buffer) is { } refusal)
        {
            throw ApiProblem.BadInput("input.shape", $"{string.Join(", ", partitions)} cannot run this job: {refusal}");
        }
    }

    /// <summary>
    /// The result as its JSON (<see cref="ResultDto"/>'s fields) written straight to the response, the
    /// data base64-encoded a chunk at a time as it is read from the result store, never whole in memory.
    /// </summary>
    private static async Task ResultAsync(Guid id, HttpContext http, DprNode node)
    {
        var job = await OwnJobAsync(id, http, node);
        if (job.State != JobState.Completed)
        {
            throw ApiProblem.Conflict($"job {id} is {Wire(job.State)}; a result exists once it is completed");
        }
        using var stored = node.Results.TryOpen(id)
            ?? throw ApiProblem.NotFound("id", $"the result of job {id} is no longer kept (results are kept {node.Options.ResultRetentionHours} h)");
        var meta = stored.Meta;
        var precision = meta.Output == "raw" ? "int64" : ConvModule.Resolve(meta.Module).Precision.ToString().ToLowerInvariant();
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json; charset=utf-8";
        var pipe = http.Response.BodyWriter;
        await using var json = new Utf8JsonWriter(pipe);
        json.WriteStartObject();
        json.WriteStartArray(ResultJson.Shape);
        foreach (var dimension in meta.Shape)
        {
            json.WriteNumberValue(dimension);
        }
        json.WriteEndArray();
        json.WritePropertyName(ResultJson.Data);
        var chunk = ArrayPool<byte>.Shared.Rent(ResultChunkBytes);
        try
        {
            int read;
            while ((read = await stored.Data.ReadAsync(chunk.AsMemory(0, ResultChunkBytes), http.RequestAborted)) > 0)
            {
                json.WriteBase64StringSegment(chunk.AsSpan(0, read), isFinalSegment: false);
                json.Flush();
                await pipe.FlushAsync(http.RequestAborted);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        json.WriteBase64StringSegment([], isFinalSegment: true);
        json.WriteString(ResultJson.Precision, precision);
        json.WriteString(ResultJson.RanOn, meta.RanOn);
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }

    private static async Task<IResult> CancelAsync(Guid id, HttpContext http, DprNode node)
    {
        var job = await OwnJobAsync(id, http, node);
        if (job.State != JobState.Queued)
        {
            throw ApiProblem.Conflict($"job {id} is {Wire(job.State)}; only a queued job can be cancelled");
        }
        var outcome = await AskAsync(node.Dispatcher, new JobDispatcherActor.Cancel(id, TenantAuth.Caller(http).Name), node.Options.AskTimeout);
        if (outcome is not CancelOutcome.Cancelled)
        {
            throw ApiProblem.Conflict($"job {id} could not be cancelled: it is {(outcome is CancelOutcome.Running ? "running" : "no longer queued")}");
        }
        // The cancellation is on record before the answer: a look-up right after sees it.
        await AskAsync(node.Intake, new JobIntakeActor.Sync(), node.Options.AskTimeout);
        return Results.Ok(ToDto(job with { State = JobState.Cancelled }));
    }

    private static async Task<JobListDto> ListAsync(HttpContext http, DprNode node)
    {
        var state = RequestRules.Query(http.Request, "state", ListQuery);
        var take = RequestRules.QueryInteger(http.Request, "limit", ListQuery, 1, 1000) ?? 100;
        JobState? filter = null;
        if (state is not null)
        {
            filter = Enum.GetValues<JobState>().Where(s => Wire(s) == state).Cast<JobState?>().SingleOrDefault()
                ?? throw ApiProblem.BadInput("state", $"expected queued, running, completed, failed or cancelled, found '{RequestRules.Shorten(state)}'");
        }
        var jobs = await AnsweredAsync(node.ListJobsAsync(TenantAuth.Caller(http).Name, filter, take, node.Options.AskTimeout), node.Options.AskTimeout);
        return new JobListDto([.. jobs.Select(ToDto)]);
    }

    /// <summary>The caller's job, open (from the intake) or finished (from the index); another tenant's job is answered exactly like an unknown one.</summary>
    private static async Task<JobReplies.JobStatus> OwnJobAsync(Guid id, HttpContext http, DprNode node) =>
        await AnsweredAsync(node.FindJobAsync(id, node.Options.AskTimeout), node.Options.AskTimeout) is { } status && status.Tenant == TenantAuth.Caller(http).Name
            ? status
            : throw ApiProblem.NotFound("id", $"no job {id}");

    private static JobDto ToDto(JobReplies.JobStatus s) =>
        new(s.JobId, Wire(s.State), s.Module, s.Partition, s.Error, s.AcceptedAt, s.StartedAt, s.FinishedAt, (s.StartedAt - s.AcceptedAt)?.TotalMilliseconds);

    /// <summary>A job state as the API spells it: its lower-case name.</summary>
    private static string Wire(JobState state) => IntakeSnapshot.Job.Wire(state);

    /// <summary>An actor's answer; no answer in time means the journal (or the actor behind it) is not there.</summary>
    public static Task<object> AskAsync(IActorRef actor, object message, TimeSpan timeout) => AnsweredAsync(actor.Ask<object>(message, timeout), timeout);

    /// <summary>The answer of something that asks an actor (<see cref="AskAsync"/>).</summary>
    public static async Task<T> AnsweredAsync<T>(Task<T> asking, TimeSpan timeout)
    {
        try
        {
            return await asking;
        }
        catch (AskTimeoutException)
        {
            throw ApiProblem.Unavailable($"no answer within {timeout.TotalSeconds:0.#} s: the journal or the board is unavailable; nothing was changed unless a later look-up shows it");
        }
    }

    /// <summary>
    /// A small JSON body (the board's and chaos endpoints' requests, a few hundred bytes) read with a
    /// bound counted on the bytes read: at most <see cref="SmallBodyBytes"/> (or <c>Dpr:MaxRequestBytes</c>
    /// if lower), 413 past it; declared <c>application/json</c> (415 otherwise) and read by the request
    /// rules (<see cref="SmallJsonBody"/>): a refusal names the field.
    /// </summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext http, RequestLimits limits)
        where T : class
    {
        RequestRules.RequireJson(http.Request);
        var maxBytes = Math.Min(limits.MaxRequestBytes, SmallBodyBytes);
        using var body = new BoundedBody(http.Request, maxBytes, maxBytes == limits.MaxRequestBytes ? "Dpr:MaxRequestBytes" : "the most this endpoint takes");
        using var json = new MemoryStream();
        await body.CopyToAsync(json, http.RequestAborted);
        return SmallJsonBody.Read<T>(json.GetBuffer().AsSpan(0, (int)json.Length));
    }

    /// <summary>The JSON names of <see cref="ResultDto"/>'s fields, as <see cref="ApiJson.Options"/> writes them.</summary>
    private static class ResultJson
    {
        public static readonly JsonEncodedText Shape = Name(nameof(ResultDto.Shape));
        public static readonly JsonEncodedText Data = Name(nameof(ResultDto.Data));
        public static readonly JsonEncodedText Precision = Name(nameof(ResultDto.Precision));
        public static readonly JsonEncodedText RanOn = Name(nameof(ResultDto.RanOn));

        private static JsonEncodedText Name(string property) => JsonEncodedText.Encode(ApiJson.Options.PropertyNamingPolicy!.ConvertName(property));
    }
}
