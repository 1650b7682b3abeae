using Dpr.Actors.Jobs;

namespace Dpr.Host.Api;

/// <summary>
/// A <c>POST /v1/jobs</c> body as <see cref="SubmitJobReader"/> read it: the request, its input inline
/// or named by the key of an upload that is not stored yet. Disposed without <see cref="StoreInput"/>,
/// the upload leaves nothing behind.
/// </summary>
internal sealed class JobSubmission(JobRequest request, BlobUpload? upload) : IDisposable
{
    public JobRequest Request { get; } = request;

    /// <summary>
    /// Stores the input under the key the request names, once the request has passed its checks and
    /// before it is submitted: a stored <c>JobAccepted</c> never names a blob that is not there.
    /// </summary>
    /// <exception cref="IOException">The blob could not be written (a full disk among other causes).</exception>
    public void StoreInput() => upload?.Commit();

    public void Dispose() => upload?.Dispose();
}
