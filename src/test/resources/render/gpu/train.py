print("training on a GPU")
