using Akka.Persistence;
using Akka.Persistence.TestKit;

namespace Dpr.TestKit;

/// <summary>
/// The persistence TestKit's snapshot store, deleting by criteria one matching snapshot at a time. Its own
/// delete by criteria (Akka.Persistence.TestKit 1.5.74) also removes a snapshot newer than the criteria's
/// highest sequence number: the job intake, which deletes the snapshots before the one just stored, then
/// lost that one and with it every job its deleted events held (found by the scenario runner: a submission,
/// then a graceful restart).
/// </summary>
public sealed class NodeSnapshotStore : TestSnapshotStore
{
    // The delete behavior a test set (OnDelete.Fail()...), kept to apply it to a delete by criteria as the base does.
    private ISnapshotStoreInterceptor? _delete;

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is UseDeleteInterceptor use)
        {
            _delete = use.Interceptor;
        }
        return base.ReceivePluginInternal(message);
    }

    protected override async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        if (_delete is { } intercept)
        {
            await intercept.InterceptAsync(persistenceId, criteria);
        }
        // The load selects the newest snapshot the criteria match; the bound check keeps a store that selected past them from looping.
        while (await LoadAsync(persistenceId, criteria, cancellationToken) is { } selected
            && selected.Metadata.SequenceNr <= criteria.MaxSequenceNr && selected.Metadata.SequenceNr >= criteria.MinSequenceNr)
        {
            await DeleteAsync(selected.Metadata, cancellationToken);
        }
    }
}
