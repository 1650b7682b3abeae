using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Jobs;

/// <summary>What the SQLite stores of jobs (results, the job index) do alike.</summary>
internal static class SqliteRows
{
    /// <summary>Deletes the rows of <paramref name="table"/> whose <c>job_id</c> is one of <paramref name="jobIds"/>, in one transaction; returns how many there were.</summary>
    public static int DeleteJobs(SqliteConnection connection, string table, IEnumerable<Guid> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {table} WHERE job_id = $id";
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var deleted = 0;
        foreach (var jobId in jobIds)
        {
            id.Value = jobId.ToString("N");
            deleted += command.ExecuteNonQuery();
        }
        transaction.Commit();
        return deleted;
    }
}
