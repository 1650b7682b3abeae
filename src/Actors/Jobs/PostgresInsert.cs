using Npgsql;

namespace Dpr.Actors.Jobs;

/// <summary>The write of a PostgreSQL store's group commit (<see cref="GroupCommit{TItem, TOutcome}"/>).</summary>
internal static class PostgresInsert
{
    /// <summary>
    /// The inserts in one transaction and one round trip, on a new pooled connection, so an outage fails
    /// the batches it meets and not every later one; per insert, whether it added a row (each is
    /// <c>ON CONFLICT DO NOTHING</c>: false when the job had one).
    /// </summary>
    public static async Task<bool[]> BatchAsync(string connectionString, IEnumerable<NpgsqlBatchCommand> inserts)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var insert in inserts)
        {
            batch.BatchCommands.Add(insert);
        }
        await batch.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
        var inserted = new bool[batch.BatchCommands.Count];
        for (var i = 0; i < inserted.Length; i++)
        {
            inserted[i] = batch.BatchCommands[i].RecordsAffected == 1;
        }
        return inserted;
    }
}
