namespace Dpr.Actors.Jobs;

/// <summary>
/// Finished jobs the intake no longer knows, once a snapshot without them is stored: their results may be
/// deleted, and so may <paramref name="Blobs"/>, the inputs no job still known names. Told to the
/// storage sweeper (<see cref="JobStorageSweeperActor"/>); only ever what is already gone from the
/// intake's state, so deleting it never takes anything an open job needs.
/// </summary>
public sealed record ForgottenJobs(IReadOnlyList<Guid> Jobs, IReadOnlyList<string> Blobs)
{
    public static ForgottenJobs None { get; } = new([], []);

    public bool IsEmpty => Jobs.Count == 0 && Blobs.Count == 0;

    /// <summary>Both lists, this one's first.</summary>
    public ForgottenJobs With(ForgottenJobs other) => new([.. Jobs, .. other.Jobs], [.. Blobs, .. other.Blobs]);
}
