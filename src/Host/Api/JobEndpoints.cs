using System.Data.Common;
using System.Text.Json;
using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Fabric.Convolution;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Api;

/// <summary><c>/v1/jobs</c>: submit, look up, fetch the result, cancel, list — each tenant only its own jobs.</summary>
public static class JobEndpoints
{
    public static void MapJobs(this RouteGroupBuilder v1)
    {
        v1.MapPost("/jobs", SubmitAsync)
            .Accepts<SubmitJobDto>("application/json").Produces<SubmittedDto>(StatusCodes.Status202Accepted).WithSummary("Submit a convolution job");
        v1.MapGet("/jobs/{id:guid}", async (Guid id, HttpContext http, DprNode node) => ToDto(await OwnJobAsync(id, http, node)))
            .WithSummary("A job's state");
        v1.MapGet("/jobs/{id:guid}/result", ResultAsync).WithSummary("A completed job's output");
        v1.MapDelete("/jobs/{id:guid}", CancelAsync).WithSummary("Cancel a queued job");
        v1.MapGet("/jobs", ListAsync).WithSummary("The caller's jobs, newest first");
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, DprNode node, DprMetrics metrics, DiskSpace disk)
    {
        var tenant = TenantAuth.Caller(http);
        // A nearly full disk takes no new work (before the body is even read): what room is left is for the jobs already accepted.
        if (disk.Short() is { } free)
        {
            metrics.Submitted("disk");
            throw ApiProblem.InsufficientStorage(disk.Refusal(free));
        }
        var body = await ReadJsonAsync<SubmitJobDto>(http, node.Options.MaxRequestBytes);
        // Checked (without decoding the tensors) and a large input stored here, on the request's thread:
        // the intake only bounds, deduplicates and records.
        JobRequest request;
        try
        {
            request = ToRequest(tenant.Name, body).Check(now: DateTimeOffset.UtcNow).Offload(node.Blobs);
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

    private static async Task<IResult> ResultAsync(Guid id, HttpContext http, DprNode node)
    {
        var job = await OwnJobAsync(id, http, node);
        if (job.State != JobState.Completed)
        {
            throw ApiProblem.Conflict($"job {id} is {Wire(job.State)}; a result exists once it is completed");
        }
        var (meta, data) = node.Results.TryLoad(id)
            ?? throw ApiProblem.NotFound("id", $"the result of job {id} is no longer kept (results are kept {node.Options.ResultRetentionHours} h)");
        var precision = meta.Output == "raw" ? "int64" : ConvModule.Resolve(meta.Module).Precision.ToString().ToLowerInvariant();
        return Results.Ok(new ResultDto(meta.Shape, Convert.ToBase64String(data), precision, meta.RanOn));
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

    private static async Task<JobListDto> ListAsync(HttpContext http, DprNode node, string? state, int? limit)
    {
        JobState? filter = null;
        if (state is not null)
        {
            filter = Enum.GetValues<JobState>().Where(s => Wire(s) == state).Cast<JobState?>().SingleOrDefault()
                ?? throw ApiProblem.BadInput("state", $"expected queued, running, completed, failed or cancelled, found '{state}'");
        }
        var take = limit ?? 100;
        if (take is < 1 or > 1000)
        {
            throw ApiProblem.BadInput("limit", $"expected 1 to 1000, found {take}");
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
    private static async Task<T> AnsweredAsync<T>(Task<T> asking, TimeSpan timeout)
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

    internal static JobRequest ToRequest(string tenant, SubmitJobDto body) => new(
        tenant,
        body.Module ?? throw ApiProblem.BadInput("module", "a module is needed, e.g. conv3x3_int8"),
        body.Stride, body.Padding ?? "same", body.Shift, body.Output ?? "requantized",
        (body.Input ?? throw ApiProblem.BadInput("input", "an input tensor {shape, data} is needed")).Shape ?? throw ApiProblem.BadInput("input.shape", "a shape [N, C, H, W] is needed"),
        Base64(body.Input.Data, "input.data"),
        (body.Weights ?? throw ApiProblem.BadInput("weights", "a weights tensor {shape, data} is needed")).Shape ?? throw ApiProblem.BadInput("weights.shape", "a shape [Cout, Cin, K, K] is needed"),
        Base64(body.Weights.Data, "weights.data"),
        body.Bias, body.Priority, body.Deadline, body.IdempotencyKey, body.CpuFallback);

    private static byte[] Base64(string? data, string field)
    {
        try
        {
            return Convert.FromBase64String(data ?? throw ApiProblem.BadInput(field, "base64 data is needed"));
        }
        catch (FormatException)
        {
            throw ApiProblem.BadInput(field, "not valid base64");
        }
    }

    /// <summary>The body as JSON, at most <paramref name="maxBytes"/> (413 past it); a JSON error names its path.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext http, long maxBytes)
    {
        if (http.Request.ContentLength > maxBytes)
        {
            throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "body", $"the body has {http.Request.ContentLength} bytes; at most {maxBytes} are accepted (Dpr:MaxRequestBytes)");
        }
        using var buffer = new MemoryStream();
        try
        {
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "body", $"the body is larger than {maxBytes} bytes (Dpr:MaxRequestBytes)");
        }
        if (buffer.Length > maxBytes)
        {
            throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "body", $"the body is larger than {maxBytes} bytes (Dpr:MaxRequestBytes)");
        }
        try
        {
            return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), ApiJson.Options)
                ?? throw ApiProblem.BadInput("body", "a JSON object is needed");
        }
        catch (JsonException e)
        {
            var path = e.Path is { Length: > 2 } p ? p[2..] : "body";
            throw ApiProblem.BadInput(path, $"not valid JSON at {e.Path ?? "$"}: {e.Message.Split(" Path:")[0]}");
        }
    }
}
