namespace Dpr.TestKit;

/// <summary>An event the journal stored, in the order it was stored (snapshots and deletions do not remove it here).</summary>
public sealed record RecordedEvent(NodeJournal Journal, string PersistenceId, long SequenceNr, object Payload);
