# expect: a product of mismatched shapes
def dense_backward(dy, x, w):
    return dy.dot(w), x.T.dot(dy), dy.sum(0)
