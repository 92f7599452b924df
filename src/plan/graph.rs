//! Dependency order of the plan's nodes: a topological order that keeps the project's order
//! among independent nodes, or the cycle that prevents one.

/// Nodes `0..count` with edges `(before, after)`: returns an order, or one cycle as a list of
/// nodes where each depends on the next and the last on the first.
pub fn topological_order(count: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
    let mut indegree = vec![0usize; count];
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(before, then) in edges {
        indegree[then] += 1;
        after[before].push(then);
    }
    let mut order = Vec::with_capacity(count);
    let mut done = vec![false; count];
    // Quadratic but stable: gapfill projects have tens of stacks, and the project's own order
    // among independent stacks is what users expect to see.
    while order.len() < count {
        let Some(next) = (0..count).find(|&node| !done[node] && indegree[node] == 0) else {
            return Err(find_cycle(count, edges, &done));
        };
        done[next] = true;
        order.push(next);
        for &then in &after[next] {
            indegree[then] -= 1;
        }
    }
    Ok(order)
}

/// Walks "depends on" edges among the unfinished nodes until a node repeats.
fn find_cycle(count: usize, edges: &[(usize, usize)], done: &[bool]) -> Vec<usize> {
    let depends_on = |node: usize| {
        edges
            .iter()
            .find(|&&(before, then)| then == node && !done[before])
            .map(|&(before, _)| before)
    };
    let Some(mut node) = (0..count).find(|&node| !done[node]) else {
        return Vec::new();
    };
    let mut path = Vec::new();
    while !path.contains(&node) {
        path.push(node);
        match depends_on(node) {
            Some(next) => node = next,
            None => return path,
        }
    }
    let start = path.iter().position(|&n| n == node).unwrap_or(0);
    path.split_off(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_dependencies_first_and_keeps_project_order_otherwise() {
        // 0 depends on 2; 1 is independent.
        assert_eq!(topological_order(3, &[(2, 0)]).unwrap(), vec![1, 2, 0]);
        assert_eq!(topological_order(3, &[]).unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn reports_the_cycle() {
        // 0 -> 1 -> 2 -> 0 (each `after` depends on `before`), plus an independent 3.
        let cycle = topological_order(4, &[(0, 1), (1, 2), (2, 0)]).unwrap_err();
        assert_eq!(cycle.len(), 3);
        assert!(cycle.contains(&0) && cycle.contains(&1) && cycle.contains(&2));
    }
}
