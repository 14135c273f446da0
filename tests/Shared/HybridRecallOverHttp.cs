using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Motor.Core.Datasets;

namespace Motor.Testing;

/// <summary>
/// PROTOCOL.md's hybrid Recall@20 computed from the service's answers: for every user with a cold-test interaction,
/// GET /v1/users/{id}/recommendations?k=20 and the share of the user's cold-test items among the 20 (item and user IDs are
/// the dataset's indices). Shared by the API test and the tiktok benchmark (linked source).
/// </summary>
internal static class HybridRecallOverHttp
{
    public static async Task<(double Recall, int Users)> MeasureAsync(HttpClient client, CsrMatrix coldTestTargets)
    {
        double recallSum = 0;
        int users = 0;
        for (int user = 0; user < coldTestTargets.RowCount; user++)
        {
            if (coldTestTargets.RowLength(user) == 0)
            {
                continue;
            }

            HashSet<string> relevant = [.. coldTestTargets.Row(user).ToArray().Select(Id)];
            JsonElement answer = await client.GetFromJsonAsync<JsonElement>($"/v1/users/{Id(user)}/recommendations?k=20");
            int hits = answer.GetProperty("items").EnumerateArray().Count(item => relevant.Contains(item.GetProperty("itemId").GetString()!));
            recallSum += (double)hits / relevant.Count;
            users++;
        }

        return (users == 0 ? 0 : recallSum / users, users);
    }

    public static string Id(int index) => index.ToString(CultureInfo.InvariantCulture);
}
